import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from './src/graph/parse';
import { exportKeras, exportLayersModels } from './src/export/keras';
const r = parse(JSON.parse(readFileSync(process.argv[2], 'utf8')));
if (!r.ok) throw new Error('bad');
writeFileSync(process.argv[3], exportKeras(r.doc));
console.log(JSON.stringify(exportLayersModels(r.doc)[1]).slice(0, 1500));
