// Generates the scripted test models once per test run (they are not committed).
import { writeAllScriptedModels } from '../tools/testmodels/write.ts';
import { TEST_MODELS_DIR } from './paths.ts';

export default async function setup(): Promise<void> {
  await writeAllScriptedModels(TEST_MODELS_DIR);
}
