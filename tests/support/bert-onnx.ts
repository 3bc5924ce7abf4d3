import onnxProto from 'onnx-proto';
import { seededRandom } from '../../bench/dataset.js';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

/** The shape of a BERT encoder; the weights are random (seeded), the compute is that of a real one. */
export type BertShape = {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
};

/**
 * A BERT encoder as an ONNX model (opset 17): inputs `input_ids`, `attention_mask`, `token_type_ids`
 * (int64, batch × sequence), output `last_hidden_state` (float, batch × sequence × hidden), as the
 * library's feature-extraction pipeline expects. With `quantized`, every linear layer is the pattern
 * onnxruntime's dynamic quantization writes (DynamicQuantizeLinear on the activations, MatMulInteger with
 * int8 weights, rescaled to float), so it runs at the speed of an 8-bit model.
 */
export function bertOnnxModel(shape: BertShape, options: { seed: number; quantized: boolean }): Uint8Array {
  const graph = new GraphBuilder();
  const random = seededRandom(options.seed);
  const { hidden, heads, intermediate } = shape;
  const headSize = hidden / heads;

  const weights = (name: string, dims: number[], spread: number) => {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let index = 0; index < values.length; index++) values[index] = (random() * 2 - 1) * spread;
    return graph.floats(name, dims, values);
  };
  const filled = (name: string, size: number, value: number) => graph.floats(name, [size], new Float32Array(size).fill(value));
  const linear = (input: string, name: string, inputs: number, outputs: number) => {
    const spread = Math.sqrt(3 / inputs);
    const bias = filled(`${name}.bias`, outputs, 0);
    if (!options.quantized) return graph.node('Add', [graph.node('MatMul', [input, weights(`${name}.weight`, [inputs, outputs], spread)]), bias]);
    const [quantized, scale, zeroPoint] = graph.node('DynamicQuantizeLinear', [input], {}, 3);
    const weight = quantizedWeights(graph, `${name}.weight`, [inputs, outputs], () => (random() * 2 - 1) * spread);
    const product = graph.node('MatMulInteger', [quantized, weight.values, zeroPoint, weight.zeroPoint]);
    const rescaled = graph.node('Mul', [graph.node('Cast', [product], { to: DataType.FLOAT }), graph.node('Mul', [scale, weight.scale])]);
    return graph.node('Add', [rescaled, bias]);
  };
  const layerNorm = (input: string, name: string) =>
    graph.node('LayerNormalization', [input, filled(`${name}.gamma`, hidden, 1), filled(`${name}.beta`, hidden, 0)], { axis: -1, epsilon: 1e-12 });
  const headsShape = graph.int64s('heads_shape', [4], [0, 0, heads, headSize]);
  const toHeads = (input: string, perm: number[]) => graph.node('Transpose', [graph.node('Reshape', [input, headsShape])], { perm });

  // Embeddings: word + position + token type, then layer norm.
  const sequenceLength = graph.node('Gather', [graph.node('Shape', ['input_ids']), graph.int64s('one', [], [1])], { axis: 0 });
  const positions = graph.node('Range', [graph.int64s('zero', [], [0]), sequenceLength, 'one']);
  const embedded = graph.node('Add', [
    graph.node('Add', [graph.node('Gather', [weights('word_embeddings', [shape.vocabSize, hidden], 1), 'input_ids']), graph.node('Gather', [weights('position_embeddings', [shape.maxPositions, hidden], 0.1), positions])]),
    graph.node('Gather', [weights('token_type_embeddings', [2, hidden], 0.1), 'token_type_ids']),
  ]);
  let state = layerNorm(embedded, 'embeddings.norm');

  // Padding positions get a large negative score before the softmax: batch × 1 × 1 × sequence.
  const keep = graph.node('Cast', ['attention_mask'], { to: DataType.FLOAT });
  const maskBias = graph.node('Unsqueeze', [
    graph.node('Mul', [graph.node('Sub', [graph.floats('one_f', [], new Float32Array([1])), keep]), graph.floats('mask_value', [], new Float32Array([-10000]))]),
    graph.int64s('mask_axes', [2], [1, 2]),
  ]);

  for (let layer = 0; layer < shape.layers; layer++) {
    const prefix = `layer.${layer}`;
    const query = toHeads(linear(state, `${prefix}.query`, hidden, hidden), [0, 2, 1, 3]);
    const key = toHeads(linear(state, `${prefix}.key`, hidden, hidden), [0, 2, 3, 1]);
    const value = toHeads(linear(state, `${prefix}.value`, hidden, hidden), [0, 2, 1, 3]);
    const scores = graph.node('Add', [graph.node('Div', [graph.node('MatMul', [query, key]), graph.floats(`${prefix}.scale`, [], new Float32Array([Math.sqrt(headSize)]))]), maskBias]);
    const context = graph.node('MatMul', [graph.node('Softmax', [scores], { axis: -1 }), value]);
    const merged = graph.node('Reshape', [graph.node('Transpose', [context], { perm: [0, 2, 1, 3] }), graph.int64s(`${prefix}.merge_shape`, [3], [0, 0, hidden])]);
    const attended = layerNorm(graph.node('Add', [linear(merged, `${prefix}.attention_output`, hidden, hidden), state]), `${prefix}.attention_norm`);

    // GELU written as exported from PyTorch: x · 0.5 · (1 + erf(x / √2)).
    const expanded = linear(attended, `${prefix}.intermediate`, hidden, intermediate);
    const erf = graph.node('Erf', [graph.node('Div', [expanded, graph.floats(`${prefix}.sqrt2`, [], new Float32Array([Math.SQRT2]))])]);
    const gelu = graph.node('Mul', [graph.node('Mul', [expanded, graph.node('Add', [erf, 'one_f'])]), graph.floats(`${prefix}.half`, [], new Float32Array([0.5]))]);
    state = layerNorm(graph.node('Add', [linear(gelu, `${prefix}.output`, intermediate, hidden), attended]), `${prefix}.output_norm`);
  }
  graph.node('Identity', [state], {}, 1, ['last_hidden_state']);

  const tokens = ['batch_size', 'sequence_length'];
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'prm-agent tests',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'bert',
      node: graph.nodes,
      initializer: graph.initializers,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => valueInfo(name, DataType.INT64, tokens)),
      output: [valueInfo('last_hidden_state', DataType.FLOAT, [...tokens, hidden])],
    },
  }).finish();
}

/** Per-tensor symmetric int8 weights, as dynamic quantization stores them. */
function quantizedWeights(graph: GraphBuilder, name: string, dims: number[], draw: () => number) {
  const floats = new Float32Array(dims[0] * dims[1]);
  let largest = 0;
  for (let index = 0; index < floats.length; index++) {
    floats[index] = draw();
    largest = Math.max(largest, Math.abs(floats[index]));
  }
  const scale = largest / 127;
  const values = new Int8Array(floats.length);
  for (let index = 0; index < floats.length; index++) values[index] = Math.round(floats[index] / scale);
  return {
    values: graph.tensor(name, dims, DataType.INT8, values),
    scale: graph.floats(`${name}.scale`, [], new Float32Array([scale])),
    zeroPoint: graph.tensor(`${name}.zero_point`, [], DataType.INT8, new Int8Array([0])),
  };
}

type Attribute = number | number[];

class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private count = 0;

  /** Adds a node; returns its first output's name (or all of them with `outputs` > 1). */
  node(op: string, inputs: string[], attributes?: Record<string, Attribute>, outputs?: 1, names?: string[]): string;
  node(op: string, inputs: string[], attributes: Record<string, Attribute>, outputs: number): string[];
  node(op: string, inputs: string[], attributes: Record<string, Attribute> = {}, outputs = 1, names?: string[]): string | string[] {
    const id = `${op}_${this.count++}`;
    const output = names ?? Array.from({ length: outputs }, (_, index) => `${id}:${index}`);
    const attribute = Object.entries(attributes).map(([name, value]) =>
      Array.isArray(value) ? { name, type: AttributeType.INTS, ints: value } : Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value },
    );
    this.nodes.push(onnx.NodeProto.create({ name: id, opType: op, input: inputs, output, attribute }));
    return outputs === 1 ? output[0] : output;
  }

  tensor(name: string, dims: number[], dataType: number, values: ArrayBufferView): string {
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }));
    return name;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    return this.tensor(name, dims, DataType.FLOAT, values);
  }

  int64s(name: string, dims: number[], values: number[]): string {
    return this.tensor(name, dims, DataType.INT64, BigInt64Array.from(values, BigInt));
  }
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) } } } };
}
