import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const TEST_MODELS_DIR = resolve(ROOT, 'test-models');
