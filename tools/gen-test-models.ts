// CLI: npm run gen:models [-- <out dir>]  (default: test-models/)
import { resolve } from 'node:path';
import { writeTinyQwen2Models } from './testmodels/tiny-qwen2.ts';
import { writeAllScriptedModels } from './testmodels/write.ts';

const out = resolve(process.argv[2] ?? 'test-models');
const names = await writeAllScriptedModels(out);
console.log(`wrote ${names.length} scripted models to ${out}: ${names.join(', ')}`);
const tiny = await writeTinyQwen2Models(out);
console.log(`wrote the converter's test models to ${out}: ${tiny.join(', ')}`);
