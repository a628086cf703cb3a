// A whole quantized network on the generated core: the tiny residual network (stem, identity block, option-A
// block, average pool, fc) at a4w4 runs layer after layer on bitfusion_layer (2x2 array, Verilator, one build),
// each layer fed the codes the RTL wrote for the previous one; every layer's output and the logits must equal
// the network executor's, every step's cycles the layer compiler's model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withVerilator } from '../helpers.js';
import { loadHwq } from '../../src/intmodel/format.js';
import { vc709Sized } from '../../rtl/cosim-suite.js';
import { generateRtl } from '../../rtl/generate.js';
import { runNetworkOnRtl } from '../../rtl/network.js';
import { quantizeTiny, tinyInputs } from '../intmodel/tiny-resnet.js';

withVerilator(test, 'tiny residual network a4w4 on bitfusion_layer 2x2: every layer and the logits equal the network executor', async () => {
  const { hwq } = await quantizeTiny(4);
  const model = loadHwq(hwq);
  const cfg = vc709Sized(2, 2);
  const design = generateRtl(cfg);
  const [x] = tinyInputs(1, 7);
  const run = runNetworkOnRtl(model, x, cfg, design, hwq);
  assert.equal(run.layers.map((l) => l.name), ['stem', 'b1c1', 'b1c2', 'b2c1', 'b2c2', 'fc']);
  for (const l of run.layers) {
    assert.equal(l.problems, [], l.name);
    assert.ok(l.equal, l.name);
    assert.is(l.rtlCycles, l.modelCycles, l.name);
    assert.ok(l.simComputeCycles > 0 && l.simTotalCycles >= l.simComputeCycles, l.name);
  }
  assert.ok(run.logitsEqual);
  assert.equal(Array.from(run.rtl.accumulators), Array.from(run.reference.accumulators));
  for (const [name, t] of run.reference.tensors) assert.equal(Array.from(run.rtl.tensors.get(name)!.codes), Array.from(t.codes), name);
  assert.ok(new Set(run.reference.accumulators).size > 1, 'the logits differ between classes');
});

test.run();
