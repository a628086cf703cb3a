import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { onnx } from '../../src/onnx/proto.js';
import { DataType, makeTensor, pack4, tensorFromProto, tensorRawBytes, tensorToProto, unpack4 } from '../../src/onnx/tensor.js';
import { buildModel } from '../../src/onnx/build.js';
import { encodeModel } from '../../src/onnx/proto.js';
import { openModel } from '../../src/onnx/run.js';
import { UserError } from '../../src/errors.js';

test('float32 from float_data and from little-endian raw_data', () => {
  const a = tensorFromProto({ name: 'a', dims: [2, 2], dataType: DataType.FLOAT, floatData: [1, -2.5, 3, 0.125] });
  assert.equal(a.dims, [2, 2]);
  assert.equal(Array.from(a.data), [1, -2.5, 3, 0.125]);
  const raw = new Uint8Array([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]); // 1.0, -2.5
  const b = tensorFromProto({ name: 'b', dims: [2], dataType: DataType.FLOAT, rawData: raw });
  assert.equal(Array.from(b.data), [1, -2.5]);
});

test('int64 dims and values survive protobuf encoding (Long objects on decode)', () => {
  const t = makeTensor(DataType.INT64, [3], [-1, 7, 2 ** 40]);
  const bytes = onnx.TensorProto.encode(tensorToProto('s', t)).finish();
  const back = tensorFromProto(onnx.TensorProto.decode(bytes));
  assert.equal(back.dims, [3]);
  assert.is(back.dataType, DataType.INT64);
  assert.equal(Array.from(back.data), [-1, 7, 2 ** 40]);
  const viaField = tensorFromProto(onnx.TensorProto.decode(onnx.TensorProto.encode({ dims: [2], dataType: DataType.INT64, int64Data: [5, -9] }).finish()));
  assert.equal(Array.from(viaField.data), [5, -9]);
});

test('INT64_MAX sentinels read as huge numbers and write back clamped, not wrapped', () => {
  const raw = new Uint8Array([255, 255, 255, 255, 255, 255, 255, 127]);
  const t = tensorFromProto({ dims: [1], dataType: DataType.INT64, rawData: raw });
  assert.ok(t.data[0] > 9.2e18);
  assert.equal(Array.from(tensorRawBytes(t)), Array.from(raw));
});

test('int8, uint8, int32 round trip through raw bytes', () => {
  for (const [dt, vals] of [[DataType.INT8, [-128, -1, 0, 127]], [DataType.UINT8, [0, 1, 200, 255]], [DataType.INT32, [-70000, 0, 5, 2 ** 31 - 1]]] as const) {
    const t = makeTensor(dt, [4], vals);
    const back = tensorFromProto(onnx.TensorProto.decode(onnx.TensorProto.encode(tensorToProto('t', t)).finish()));
    assert.is(back.dataType, dt);
    assert.equal(Array.from(back.data), [...vals]);
  }
  const fromInt32Data = tensorFromProto({ dims: [3], dataType: DataType.INT8, int32Data: [-5, 0, 7] });
  assert.equal(Array.from(fromInt32Data.data), [-5, 0, 7]);
});

test('int4/uint4 pack two values per byte, first in the low nibble', () => {
  assert.equal(Array.from(pack4([1, -2, 7], true)), [0xe1, 0x07]);
  assert.equal(Array.from(pack4([15, 0, 3, 12], false)), [0x0f, 0xc3]);
  const out = new Int8Array(3);
  unpack4([0xe1, 0x07], out, true);
  assert.equal(Array.from(out), [1, -2, 7]);
  const t = makeTensor(DataType.INT4, [5], [-8, 7, 0, -1, 3]);
  const back = tensorFromProto(onnx.TensorProto.decode(onnx.TensorProto.encode(tensorToProto('q', t)).finish()));
  assert.is(back.dataType, DataType.INT4);
  assert.equal(Array.from(back.data), [-8, 7, 0, -1, 3]);
  assert.throws(() => pack4([8], true), /does not fit int4/);
});

test('raw data of the wrong length is a UserError', () => {
  assert.throws(
    () => tensorFromProto({ name: 'w', dims: [3], dataType: DataType.FLOAT, rawData: new Uint8Array(8) }),
    (e: unknown) => e instanceof UserError && /'w': raw data has 8 bytes, expected 12/.test((e as Error).message),
  );
});

test('external data is refused with a clear message', () => {
  assert.throws(() => tensorFromProto({ name: 'big', dims: [1], dataType: DataType.FLOAT, dataLocation: 1 }), /external file/);
});

test('int4 and uint8 initializers written here dequantize correctly in onnxruntime', async () => {
  const q = makeTensor(DataType.INT4, [5], [-8, -3, 0, 5, 7]);
  const u = makeTensor(DataType.UINT8, [3], [0, 128, 255]);
  const model = buildModel({
    opset: 21,
    irVersion: 10,
    inputs: [{ name: 'x', dims: [1] }],
    outputs: [{ name: 'y4', dims: [5] }, { name: 'y8', dims: [3] }],
    initializers: { q, u, s: makeTensor(DataType.FLOAT, [], [0.5]), z8: makeTensor(DataType.UINT8, [], [128]) },
    nodes: [
      { op: 'DequantizeLinear', inputs: ['q', 's'], outputs: ['d4'] },
      { op: 'DequantizeLinear', inputs: ['u', 's', 'z8'], outputs: ['d8'] },
      { op: 'Mul', inputs: ['d4', 'x'], outputs: ['y4'] },
      { op: 'Mul', inputs: ['d8', 'x'], outputs: ['y8'] },
    ],
  });
  const s = await openModel(encodeModel(model));
  const r = await s.run({ x: { dims: [1], data: new Float32Array([1]) } });
  assert.equal(Array.from(r.get('y4')?.data as Float32Array), [-4, -1.5, 0, 2.5, 3.5]);
  assert.equal(Array.from(r.get('y8')?.data as Float32Array), [-64, 0, 63.5]);
  await s.release();
});

test.run();
