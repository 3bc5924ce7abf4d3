import { cp, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import type { Embedder } from '../../src/modules/vector/embedder.js';
import { createEmbedder } from '../../src/modules/vector/local-embedder.js';
import { bertOnnxModel, type BertShape } from './bert-onnx.js';

/**
 * An embedding model for tests and the bench, built on the spot: the real all-MiniLM-L6-v2 shape and
 * tokenizer kind with random weights and a small generated vocabulary, in the folder layout the library
 * loads with remote models off. Nothing is downloaded and no weights are committed.
 */
export const TEST_MODEL_ID = 'prm-test/minilm-l6-shaped';

/** Bump when the files written change: the cached folder is keyed by it. */
const VERSION = 'v1';

const MINILM: Omit<BertShape, 'vocabSize'> = { hidden: 384, layers: 6, heads: 12, intermediate: 1536, maxPositions: 512 };

let cached: Promise<string> | undefined;

/**
 * The model folder (`PRM_EMBEDDING_MODEL_PATH`) holding `<modelId>/...`. Built once under the system's
 * temporary folder and reused by later runs; with `dir`, also copied there (for a model that appears later).
 */
export async function buildTestEmbeddingModel(dir?: string): Promise<{ modelPath: string; modelId: string }> {
  cached ??= cachedModelFolder();
  const modelPath = await cached;
  if (dir === undefined) return { modelPath, modelId: TEST_MODEL_ID };
  await cp(join(modelPath, TEST_MODEL_ID), join(dir, TEST_MODEL_ID), { recursive: true });
  return { modelPath: dir, modelId: TEST_MODEL_ID };
}

/** The production embedder on the test model, loaded. */
export async function testEmbedder(environment: Record<string, string> = {}): Promise<Embedder> {
  const { modelPath, modelId } = await buildTestEmbeddingModel();
  const config = loadConfig({ LOG_LEVEL: 'silent', PRM_EMBEDDING_MODEL: modelId, PRM_EMBEDDING_MODEL_PATH: modelPath, ...environment });
  const embedder = createEmbedder(config, createLogger({ level: 'silent' }));
  if (!(await embedder.ready())) throw new Error(`The test embedding model did not load: ${embedder.status().reason}`);
  return embedder;
}

async function cachedModelFolder(): Promise<string> {
  const folder = join(tmpdir(), `prm-test-embedding-model-${VERSION}`);
  if (await exists(join(folder, TEST_MODEL_ID, 'onnx', 'model_quantized.onnx'))) return folder;
  // Built aside and renamed into place, so parallel test workers never read a half-written folder.
  const building = await mkdtemp(join(tmpdir(), 'prm-test-embedding-model-building-'));
  await writeModelFiles(join(building, TEST_MODEL_ID));
  await mkdir(folder, { recursive: true });
  await rename(join(building, 'prm-test'), join(folder, 'prm-test')).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  });
  await rm(building, { recursive: true, force: true });
  return folder;
}

async function writeModelFiles(folder: string): Promise<void> {
  const vocab = generatedVocabulary();
  const shape: BertShape = { ...MINILM, vocabSize: vocab.length };
  await mkdir(join(folder, 'onnx'), { recursive: true });
  await writeFile(join(folder, 'config.json'), JSON.stringify(modelConfig(shape), null, 2));
  await writeFile(join(folder, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)));
  await writeFile(join(folder, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  await writeFile(join(folder, 'onnx', 'model.onnx'), bertOnnxModel(shape, { seed: 384, quantized: false }));
  await writeFile(join(folder, 'onnx', 'model_quantized.onnx'), bertOnnxModel(shape, { seed: 384, quantized: true }));
}

const exists = (path: string) => stat(path).then(() => true, () => false);

const modelConfig = (shape: BertShape) => ({
  model_type: 'bert',
  architectures: ['BertModel'],
  hidden_size: shape.hidden,
  num_hidden_layers: shape.layers,
  num_attention_heads: shape.heads,
  intermediate_size: shape.intermediate,
  max_position_embeddings: shape.maxPositions,
  vocab_size: shape.vocabSize,
  type_vocab_size: 2,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
});

const tokenizerConfig = {
  tokenizer_class: 'BertTokenizer',
  do_lower_case: true,
  model_max_length: 512,
  clean_up_tokenization_spaces: true,
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  mask_token: '[MASK]',
};

const SPECIAL = { '[PAD]': 0, '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103 } as const;

/**
 * BERT's special tokens at BERT's ids, then single characters, common words and consonant-vowel
 * syllables, each also as a `##` continuation: every lower-case English word splits into pieces, a few
 * more than the real vocabulary of 30,522 gives.
 */
function generatedVocabulary(): string[] {
  const vocab = Array.from({ length: 104 }, (_, id) => `[unused${id}]`);
  for (const [token, id] of Object.entries(SPECIAL)) vocab[id] = token;
  const characters = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'];
  const consonants = [...'bcdfghjklmnprstvwyz'];
  const vowels = [...'aeiou'];
  const syllables = consonants.flatMap((c) => vowels.flatMap((v) => [c + v, v + c, ...consonants.map((end) => c + v + end)]));
  const pieces = [...new Set([...COMMON_WORDS, ...syllables])];
  vocab.push(...characters, ...characters.filter((c) => /\w/.test(c)).map((c) => `##${c}`));
  vocab.push(...pieces, ...pieces.map((piece) => `##${piece}`));
  return [...new Set(vocab)];
}

const COMMON_WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said ' +
  'there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more ' +
  'write go see number no way could people my than first water been call who oil its now find long down day did get come made may part patient clinic ' +
  'appointment doctor nurse visit pain tooth teeth dental cleaning exam reschedule cancel book booking monday tuesday wednesday thursday friday saturday sunday ' +
  'morning afternoon evening today tomorrow week month insurance payment bill invoice phone email address name please thank thanks hello hi yes ok okay ' +
  'need want help question answer available slot hour minute follow up treatment therapy prescription medication allergy consent form record'
).split(' ');

function tokenizerJson(vocab: string[]) {
  const specialToken = (token: string) => ({ id: vocab.indexOf(token), content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.keys(SPECIAL).map(specialToken),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), sequence('A', 0), special('[SEP]', 0), sequence('B', 1), special('[SEP]', 1)],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((token) => [token, { id: token, ids: [vocab.indexOf(token)], tokens: [token] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((token, id) => [token, id])) },
  };
}
