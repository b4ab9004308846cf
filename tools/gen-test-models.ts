// CLI: npm run gen:models [-- <out dir>]  (default: test-models/)
import { resolve } from 'node:path';
import { writeAllScriptedModels } from './testmodels/write.ts';

const out = resolve(process.argv[2] ?? 'test-models');
const names = await writeAllScriptedModels(out);
console.log(`wrote ${names.length} scripted models to ${out}: ${names.join(', ')}`);
