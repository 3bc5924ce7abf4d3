// The embedding model's thread (see model-thread.ts), as a file every way of starting the service can
// run as a worker thread (tsx, vitest, the bench): plain JavaScript that loads the TypeScript with tsx.
import { tsImport } from 'tsx/esm/api';

const thread = await tsImport('./model-thread.ts', import.meta.url);
export default thread.runModelTask;
