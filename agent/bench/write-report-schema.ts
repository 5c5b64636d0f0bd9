/**
 * Regenerates `report.schema.json` from the zod schema, laid out as the repository's Prettier
 * would: `node agent/bench/write-report-schema.ts`. A dev tool, kept out of the agent's import
 * graph so no bundle ever pulls in Prettier.
 */
import { writeFileSync } from 'node:fs';
import * as prettier from 'prettier';
import { REPORT_SCHEMA_FILE, reportJsonSchemaText } from './json-schema.ts';

let text = reportJsonSchemaText();
const options = {
  ...(await prettier.resolveConfig(REPORT_SCHEMA_FILE)),
  filepath: REPORT_SCHEMA_FILE,
};
// Prettier's JSON layout settles on the second pass (it keeps line breaks it finds).
for (let pass = 0; pass < 3; pass++) text = await prettier.format(text, options);
writeFileSync(REPORT_SCHEMA_FILE, text);
console.log(`wrote ${REPORT_SCHEMA_FILE}`);
