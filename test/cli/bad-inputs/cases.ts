// The bad-input table: each row is one command line that is wrong in exactly one way, and the text its one-line
// message must quote (the bad value as typed, or the bad file's path). '@name' stands for a fixture path
// (fixtures.ts), '@dir' for the fixture folder. Every row must exit 2, print nothing on stdout and leave
// nothing behind (suite.ts judges that); reports/reliability.md lists the rows with their outcomes.

export type BadKind = 'config' | 'precision' | 'onnx' | 'hwq' | 'images' | 'labels' | 'output' | 'flags';

export interface BadCase {
  kind: BadKind;
  /** What is wrong, for the report. */
  what: string;
  args: string[];
  /** Text the message must contain (fixtures expanded). */
  names: string;
  says?: RegExp;
}

const c = (kind: BadKind, what: string, args: string[], names: string, says?: RegExp): BadCase => ({ kind, what, args, names, says });
const SIM = ['sim', 'resnet18', '--a4w4'];
const Q = ['quantize', '@cnn', '--a4w4', '--calib', '@images', '--calib-size', '3', '--no-progress'];
const EVAL = ['eval', '@cnn', '--data', '@images', '--no-progress'];
const CMP = ['compare', '@cnn', '@qonnx', '--data', '@images', '--no-progress'];

export const BAD_CASES: BadCase[] = [
  // ---- configs
  c('config', 'unknown preset', [...SIM, '--config', 'vc790'], "'vc790'", /valid presets are/),
  c('config', 'config file missing', [...SIM, '--config', '@dir/none.json'], '@dir/none.json', /ENOENT/),
  c('config', 'config not JSON', [...SIM, '--config', '@badJson'], '@badJson', /not valid JSON/),
  c('config', 'config a JSON array', [...SIM, '--config', '@array'], '@array', /must be a JSON object/),
  c('config', 'misspelled field rowz', [...SIM, '--config', '@rowz'], "'rowz'", /did you mean 'rows'/),
  c('config', 'misspelled field clockMhz', [...SIM, '--config', '@clockMhz'], "'clockMhz'", /did you mean 'clockMHz'/),
  c('config', 'nested field at the top level', [...SIM, '--config', '@doubleBufferd'], "'doubleBufferd'", /ibuf\.doubleBuffered/),
  c('config', 'misspelled nested field', [...SIM, '--config', '@bytez'], "'ibuf.bytez'", /did you mean 'ibuf\.bytes'/),
  c('config', 'base is no preset', [...SIM, '--config', '@badBase'], "'tpu-v9'", /not a preset/),
  c('config', 'rows 0', [...SIM, '--config', '@rows0'], 'rows', /got 0/),
  c('config', 'rows 2.5', [...SIM, '--config', '@rowsFrac'], 'rows', /got 2\.5/),
  c('config', 'rows as text', [...SIM, '--config', '@rowsText'], 'rows', /got "16"/),
  c('config', 'maxBits 6', [...SIM, '--config', '@maxBits6'], 'maxBits', /4, 8 or 16/),
  c('config', 'maxBits 4 with 16 BitBricks', [...SIM, '--config', '@maxBits4Alone'], 'bitBricksPerUnit', /= 4/),
  c('config', 'accumulatorBits 20', [...SIM, '--config', '@acc20'], 'accumulatorBits', /16, 24, 32 or 48/),
  c('config', 'DRAM efficiency 1.5', [...SIM, '--config', '@eff'], 'dram.efficiency', /\(0, 1\]/),
  c('config', 'negative energy', [...SIM, '--config', '@energyNeg'], 'energy.dramPJPerByte', />= 0/),
  c('config', 'clock 0 MHz', [...SIM, '--config', '@clock0'], 'clockMHz'),
  c('config', 'doubleBuffered "yes"', [...SIM, '--config', '@dbText'], 'obuf.doubleBuffered', /true or false/),
  c('config', 'description a number', [...SIM, '--config', '@descNum'], 'description', /string/),
  c('config', 'buffer group null', [...SIM, '--config', '@ibufNull'], 'ibuf', /must be an object/),
  c('config', 'single buffering in the published model', [...SIM, '--model', 'bitfusion-ref', '--config', '@single'], 'wbuf.doubleBuffered', /--model cycle/),
  c('config', '8-bit operands on 4-bit units', ['sim', 'resnet18', '--a8w8', '--config', '@unit4'], 'a8w8', /4-bit Fusion Units/),
  c('config', '8-bit operands on 4-bit units (published model)', ['sim', 'resnet18', '--a8w8', '--model', 'bitfusion-ref', '--config', '@unit4'], 'precision 8', /1\.\.4/),
  c('config', 'buffers too small for a tile', [...SIM, '--config', '@tinyBuf'], 'buffers too small'),
  c('config', 'RTL of 16-bit units', ['rtl', '--config', '@unit16', '--out', '@dir/rtl16'], 'maxBits 16', /8-bit Fusion Unit only/),
  c('config', 'RTL accumulator narrower than a column sum', ['rtl', '--config', '@acc16', '--out', '@dir/rtl-acc'], 'accumulatorBits 16'),
  c('config', 'RTL with one row', ['rtl', '--config', '@rows1', '--out', '@dir/rtl-rows'], 'at least 2 rows'),
  c('config', 'RTL unknown preset', ['rtl', '--config', 'vc7090', '--out', '@dir/rtl-x'], "'vc7090'"),
  c('config', 'sweep: one bad config in a list', ['sweep', 'resnet18', '--configs', 'vc709,nope'], "'nope'"),
  c('config', 'sweep: --config and --configs together', ['sweep', 'resnet18', '--config', 'vc709', '--configs', 'bitfusion-asic'], '--config'),
  c('config', 'sweep: empty --configs', ['sweep', 'resnet18', '--configs', ','], '--configs'),

  // ---- precisions
  c('precision', 'activation width beyond every unit', ['sim', 'resnet18', '--a17w4'], "'a17w4'", /outside/),
  c('precision', 'width 0', ['sim', 'resnet18', '--precision', 'a0w4'], "'a0w4'", /outside/),
  c('precision', 'no weight width', ['sim', 'resnet18', '--precision', 'a4'], "'a4'", /a<A>w<W>/),
  c('precision', 'digits only', ['sim', 'resnet18', '--precision', '44'], "'44'"),
  c('precision', 'trailing junk', ['sim', 'resnet18', '--precision', 'a4w4x'], "'a4w4x'"),
  c('precision', 'weights-only in the simulator', ['sim', 'resnet18', '--precision', 'w4'], "'w4'"),
  c('precision', '16-bit operands on 8-bit units', ['sim', 'resnet18', '--a16w16'], 'a16w16', /8-bit Fusion Units/),
  c('precision', 'sweep: bad item in --precisions', ['sweep', 'resnet18', '--precisions', 'a8w8,a9x'], "'a9x'"),
  c('precision', 'sweep: a precision listed twice', ['sweep', 'resnet18', '--precisions', 'a8w8,a4w4,A4W4'], "'a4w4' twice"),
  c('config', 'sweep: a config listed twice', ['sweep', 'resnet18', '--configs', 'vc709,bitfusion-asic,vc709'], "'vc709' twice"),
  c('config', 'sweep: two config files with one name', ['sweep', 'resnet18', '--configs', '@sameA,@sameB'], "'same' twice"),
  c('flags', 'sweep: an array size listed twice', ['sweep', 'resnet18', '--arrays', '8x8,16x16,8x8'], "'8x8' twice"),
  c('onnx', 'sweep: a network listed twice', ['sweep', 'resnet18', 'bf-lenet5', 'resnet18'], "'resnet18' twice"),
  c('precision', 'sweep: empty --precisions', ['sweep', 'resnet18', '--precisions', ''], '--precisions'),
  c('precision', '--first-last 0', [...SIM, '--first-last', '0'], "'0'", /none/),
  c('precision', '--first-last abc', [...SIM, '--first-last', 'abc'], "'abc'"),
  c('precision', '--first-last 17', [...SIM, '--first-last', '17'], "'17'"),
  c('precision', 'quantize --first-last 0', [...Q, '--out', '@dir/q1.onnx', '--first-last', '0'], "'0'"),
  c('precision', 'layer-precisions file missing', [...SIM, '--layer-precisions', '@dir/none-prec.json'], '@dir/none-prec.json'),
  c('precision', 'layer-precisions not JSON', [...SIM, '--layer-precisions', '@precBadJson'], '@precBadJson'),
  c('precision', 'layer-precisions an array', [...SIM, '--layer-precisions', '@precArray'], '@precArray'),
  c('precision', 'layer-precisions names no layer', [...SIM, '--layer-precisions', '@precUnknownLayer'], "'layer9.conv'"),
  c('precision', 'layer-precisions bad value', ['sim', '@cnn', '--layer-precisions', '@precBadValue'], "'a4'"),
  c('precision', 'layer-precisions 12-bit weights', ['sim', '@cnn', '--layer-precisions', '@precWide'], 'a4w12'),
  c('precision', 'quantize 1-bit weights', ['quantize', '@cnn', '--a4w1', '--calib', '@images', '--out', '@dir/q2.onnx'], 'width 1 is outside 2..8'),
  c('precision', 'quantize 9-bit weights only', ['quantize', '@cnn', '--w9', '--out', '@dir/q3.onnx'], 'width 9 is outside 2..8'),
  c('precision', 'quantize with no precision', ['quantize', '@cnn', '--calib', '@images', '--out', '@dir/q4.onnx'], '--a<A>w<W>'),

  // ---- ONNX files
  c('onnx', 'sim: missing .onnx', ['sim', '@dir/missing.onnx'], '@dir/missing.onnx'),
  c('onnx', 'sim: text in an .onnx', ['sim', '@textOnnx'], '@textOnnx'),
  c('onnx', 'sim: truncated .onnx', ['sim', '@truncOnnx'], '@truncOnnx'),
  c('onnx', 'sim: no compute layer', ['sim', '@reluOnly'], '@reluOnly'),
  c('onnx', 'sim: a transposed convolution', ['sim', '@convTranspose'], "'ConvTranspose' (node 'up')", /decoder's upsampling/),
  c('onnx', 'sim: an onnxruntime QOperator model', ['sim', '@qlinear'], "'QLinearConv' (node 'qconv')", /QDQ model/),
  c('onnx', 'quantize: an onnxruntime QOperator model', ['quantize', '@qlinear', '--w4', '--out', '@dir/q-ql.onnx'], 'QLinearConv'),
  c('onnx', 'sim: unknown zoo name', ['sim', 'resnet19'], "'resnet19'"),
  c('onnx', 'sim: a folder', ['sim', '@empty'], '@empty'),
  c('onnx', 'eval: output is a feature map', ['eval', '@fmap', '--data', '@images'], '@fmap', /\[batch, classes\]/),
  c('onnx', 'eval: fewer classes than labels', ['eval', '@twoClass', '--data', '@images'], '@twoClass', /only 2 classes/),
  c('onnx', 'eval: missing model', ['eval', '@dir/missing.onnx', '--data', '@images'], '@dir/missing.onnx'),
  c('onnx', 'eval: text model', ['eval', '@textOnnx', '--data', '@images'], '@textOnnx'),
  c('onnx', 'quantize: missing model', ['quantize', '@dir/missing.onnx', '--a4w4', '--calib', '@images', '--out', '@dir/q5.onnx'], '@dir/missing.onnx'),
  c('onnx', 'quantize: no compute layer', ['quantize', '@reluOnly', '--w4', '--out', '@dir/q6.onnx'], '@reluOnly'),
  c('onnx', 'quantize: truncated model', ['quantize', '@truncOnnx', '--w4', '--out', '@dir/q7.onnx'], '@truncOnnx'),
  c('onnx', 'compare: feature-map model as quantized', ['compare', '@cnn', '@fmap', '--data', '@images'], '@fmap'),
  c('onnx', 'compare: missing quantized model', ['compare', '@cnn', '@dir/missing-q.onnx', '--data', '@images'], '@dir/missing-q.onnx'),
  c('onnx', 'sweep: missing model', ['sweep', '@dir/missing.onnx'], '@dir/missing.onnx'),

  // ---- .hwq files
  c('hwq', 'sim: corrupted .hwq', ['sim', '@hwqCorrupt'], '@hwqCorrupt', /corrupted/),
  c('hwq', 'sim: truncated .hwq', ['sim', '@hwqTrunc'], '@hwqTrunc', /truncated/),
  c('hwq', 'sim: text in a .hwq', ['sim', '@hwqText'], '@hwqText'),
  c('hwq', 'sim: missing .hwq', ['sim', '@dir/none.hwq'], '@dir/none.hwq'),
  c('hwq', 'rtl: corrupted .hwq', ['rtl', '--model', '@hwqCorrupt', '--out', '@dir/rtl-c'], '@hwqCorrupt', /corrupted/),
  c('hwq', 'rtl: truncated .hwq', ['rtl', '--model', '@hwqTrunc', '--out', '@dir/rtl-t'], '@hwqTrunc'),
  c('hwq', 'rtl: missing .hwq', ['rtl', '--model', '@dir/none.hwq', '--out', '@dir/rtl-m'], '@dir/none.hwq'),
  c('hwq', 'rtl: weight-only .hwq', ['rtl', '--model', '@hwqWeightOnly', '--out', '@dir/rtl-w'], '@hwqWeightOnly', /float activations/),
  c('hwq', 'rtl: a .onnx given as --model', ['rtl', '--model', '@cnn', '--out', '@dir/rtl-o'], '@cnn'),
  c('hwq', 'sim: .hwq on 4-bit units', ['sim', '@hwq', '--config', '@unit4'], '4-bit'),

  // ---- image folders
  c('images', 'eval: --data missing', ['eval', '@cnn', '--data', '@dir/no-images'], '@dir/no-images'),
  c('images', 'eval: --data an empty folder', ['eval', '@cnn', '--data', '@empty'], '@empty'),
  c('images', 'eval: --data a text file', ['eval', '@cnn', '--data', '@file'], '@file'),
  c('images', 'eval: unknown --preprocess', [...EVAL, '--preprocess', 'imagenet21k'], "'imagenet21k'"),
  c('images', 'eval: preprocessing of the wrong size', [...EVAL, '--preprocess', 'imagenet'], '3x32x32'),
  c('images', 'eval: --crop 0', [...EVAL, '--preprocess', 'cifar10', '--crop', '0'], "'0'"),
  c('images', 'eval: --mean not a number', [...EVAL, '--mean', 'abc', '0', '0'], "'abc'"),
  c('images', 'quantize: --calib missing', ['quantize', '@cnn', '--a4w4', '--calib', '@dir/no-calib', '--out', '@dir/q8.onnx'], '@dir/no-calib'),
  c('images', 'quantize: --calib empty', ['quantize', '@cnn', '--a4w4', '--calib', '@empty', '--out', '@dir/q9.onnx'], '@empty'),
  c('images', 'quantize: activations without --calib', ['quantize', '@cnn', '--a4w4', '--out', '@dir/q10.onnx'], '--calib'),
  c('images', 'compare: --data missing', ['compare', '@cnn', '@qonnx', '--data', '@dir/no-images'], '@dir/no-images'),

  // ---- labels
  c('labels', 'indices mixed with a name', ['eval', '@cnn', '--data', '@flat', '--labels', '@labelsMixed'], '@labelsMixed', /line 4/),
  c('labels', 'a negative class', ['eval', '@cnn', '--data', '@flat', '--labels', '@labelsNeg'], "'-3'"),
  c('labels', 'a fractional class', ['eval', '@cnn', '--data', '@flat', '--labels', '@labelsFrac'], "'2.5'"),
  c('labels', 'an image listed twice', ['eval', '@cnn', '--data', '@flat', '--labels', '@labelsDup'], "'a.png' is listed again (first on line 2)"),
  c('labels', 'labels file missing', ['eval', '@cnn', '--data', '@flat', '--labels', '@dir/none.csv'], '@dir/none.csv'),
  c('labels', 'a labelled file that is not there', ['eval', '@cnn', '--data', '@flat', '--labels', '@labelsMissingFile'], 'zzz.png'),
  c('labels', 'a class the model does not have', ['eval', '@twoClass', '--data', '@flat', '--labels', '@labelsHigh'], '@twoClass', /labels up to 7/),
  c('labels', 'quantize: mixed calibration labels', ['quantize', '@cnn', '--a4w4', '--calib', '@flat', '--labels', '@labelsMixed', '--out', '@dir/q11.onnx'], '@labelsMixed'),
  c('labels', 'compare: mixed labels', ['compare', '@cnn', '@qonnx', '--data', '@flat', '--labels', '@labelsMixed'], '@labelsMixed'),

  // ---- output paths
  c('output', 'quantize: --out is the input', [...Q, '--out', '@cnn'], '@cnn'),
  c('output', 'quantize: --hwq with an .onnx name (the --out path)', [...Q, '--out', '@dir/same.onnx', '--hwq', '@dir/same.onnx'], '@dir/same.onnx'),
  c('output', 'quantize: --out is the quantized model read as input', ['quantize', '@qonnx', '--w4', '--out', '@qonnx'], '@qonnx'),
  c('output', 'quantize: --out under a file', [...Q, '--out', '@file/q.onnx'], '@file'),
  c('output', 'quantize: --out is a folder', [...Q, '--out', '@empty'], '@empty'),
  c('output', 'quantize: --hwq under a file', [...Q, '--out', '@dir/ok.onnx', '--hwq', '@file/q.hwq'], '@file'),
  c('output', 'quantize: --hwq is a folder', [...Q, '--out', '@dir/ok2.onnx', '--hwq', '@empty'], '@empty'),
  c('output', 'sweep: --out is a file', ['sweep', 'resnet18', '--precisions', 'a8w8', '--out', '@file'], '@file'),
  c('output', 'sweep: --out under a file', ['sweep', 'resnet18', '--precisions', 'a8w8', '--out', '@file/sweep'], '@file'),
  c('output', 'rtl: --out is a file', ['rtl', '--out', '@file'], '@file'),
  c('output', 'rtl: --out under a file', ['rtl', '--out', '@file/rtl'], '@file'),
  c('output', 'rtl: --out not empty, no --force', ['rtl', '--out', '@images'], '@images', /--force/),
  c('output', 'rtl: --out names the --model file', ['rtl', '--model', '@hwq', '--out', '@hwq'], '@hwq'),

  // ---- flags
  c('flags', 'unknown command', ['simulate', 'resnet18'], "'simulate'", /the commands are sim, sweep/),
  c('flags', 'misspelled command', ['swep', 'resnet18'], "'swep'", /did you mean 'sweep'/),
  c('flags', 'unknown option', [...SIM, '--per-layers'], '--per-layers', /did you mean --per-layer\?/),
  c('flags', 'unknown short option', [...SIM, '-x'], '-x'),
  c('flags', 'missing positional', ['sim'], 'hwq sim <network>'),
  c('flags', 'option before the command', ['--batch', '2', 'sim', 'resnet18'], '--batch'),
  c('flags', 'extra positional', [...SIM, 'extra'], "'extra'"),
  c('flags', 'sim --batch 0', [...SIM, '--batch', '0'], "'0'"),
  c('flags', 'sim --batch abc', [...SIM, '--batch', 'abc'], "'abc'"),
  c('flags', 'sim --batch 1.5', [...SIM, '--batch', '1.5'], "'1.5'"),
  c('flags', 'sim --batch given twice', [...SIM, '--batch', '2', '--batch', '4'], '--batch'),
  c('flags', 'sim --json and --csv', [...SIM, '--json', '--csv'], '--json and --csv'),
  c('flags', 'sim --json=maybe', [...SIM, '--json=maybe'], '--json=maybe'),
  c('flags', 'sim unknown --model', [...SIM, '--model', 'scalesim'], 'scalesim'),
  c('flags', 'sim --batch with no value', [...SIM, '--batch'], '--batch needs a value'),
  c('flags', 'quantize --workers -1', [...Q, '--out', '@dir/q12.onnx', '--workers', '-1'], "'-1'"),
  c('flags', 'quantize --workers abc', [...Q, '--out', '@dir/q13.onnx', '--workers', 'abc'], "'abc'"),
  c('flags', 'quantize unknown --method', [...Q, '--out', '@dir/q14.onnx', '--method', 'gptq'], "'gptq'"),
  c('flags', 'quantize unknown --act-fit', [...Q, '--out', '@dir/q15.onnx', '--method', 'bitsplit', '--act-fit', 'later'], "'later'"),
  c('flags', 'quantize --smooth abc', [...Q, '--out', '@dir/q16.onnx', '--smooth', 'abc'], "'abc'"),
  c('flags', 'quantize --damp -1', [...Q, '--out', '@dir/q17.onnx', '--method', 'bitsplit', '--damp', '-1'], "'-1'"),
  c('flags', 'quantize --calib-size 0', ['quantize', '@cnn', '--a4w4', '--calib', '@images', '--out', '@dir/q18.onnx', '--calib-size', '0'], "'0'"),
  c('flags', 'quantize --sqnr-images -1', [...Q, '--out', '@dir/q19.onnx', '--sqnr-images', '-1'], "'-1'"),
  c('flags', 'quantize --p abc', [...Q, '--out', '@dir/q20.onnx', '--method', 'lp', '--p', 'abc'], "'abc'"),
  c('flags', 'quantize unknown --ecaq scope', [...Q, '--out', '@dir/q21.onnx', '--ecaq', 'some'], "'some'"),
  c('flags', 'quantize unknown --bias-correction', [...Q, '--out', '@dir/q22.onnx', '--bias-correction', 'mean'], "'mean'"),
  c('flags', 'quantize without --out', ['quantize', '@cnn', '--w4'], '--out'),
  c('flags', 'eval --limit 0', [...EVAL, '--limit', '0'], "'0'"),
  c('flags', 'eval --limit 5O', [...EVAL, '--limit', '5O'], "'5O'"),
  c('flags', 'eval --limit with --first', [...EVAL, '--limit', '3', '--first', '3'], '--first'),
  c('flags', 'eval --seed without --limit', [...EVAL, '--seed', '3'], '--seed'),
  c('flags', 'eval --batch abc', [...EVAL, '--batch', 'abc'], "'abc'"),
  c('flags', 'eval without --data', ['eval', '@cnn'], '--data'),
  c('flags', 'compare --sqnr-images x', [...CMP, '--sqnr-images', 'x'], "'x'"),
  c('flags', 'compare --limit -5', [...CMP, '--limit', '-5'], "'-5'"),
  c('flags', 'sweep --arrays 8y8', ['sweep', 'resnet18', '--arrays', '8y8'], "'8y8'"),
  c('flags', 'sweep --arrays 0x8', ['sweep', 'resnet18', '--arrays', '0x8'], "'0x8'", /at least 1/),
  c('flags', 'sweep --batch 0', ['sweep', 'resnet18', '--batch', '0'], "'0'"),
  c('flags', 'rtl without --out', ['rtl'], '--out'),
  c('flags', 'zoo --json=yes', ['zoo', '--json=yes'], '--json=yes'),
];
