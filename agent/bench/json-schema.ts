/**
 * The JSON Schema of a signed `roost.report/1` file, generated from the zod schema so the two can
 * never disagree. `report.schema.json` beside this file is the published copy; a test fails when
 * it is stale (regenerate: `node agent/bench/write-report-schema.ts`).
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { REPORT_FORMAT, signedReportSchema } from './schema.ts';

export const REPORT_SCHEMA_FILE = fileURLToPath(new URL('./report.schema.json', import.meta.url));
export const REPORT_SCHEMA_ID = 'https://roost.invalid/schemas/roost.report-1.schema.json';

export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(signedReportSchema, { target: 'draft-2020-12' });
  return {
    ...schema,
    $id: REPORT_SCHEMA_ID,
    title: `${REPORT_FORMAT} (signed)`,
    description:
      'A Roost benchmark report and its EIP-191 signature over the sha256 of the RFC 8785 canonical JSON of `report`.',
  };
}

export function reportJsonSchemaText(): string {
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}
