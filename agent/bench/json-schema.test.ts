import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPORT_SCHEMA_FILE, reportJsonSchema, reportJsonSchemaText } from './json-schema.ts';

describe('the JSON Schema of a report file', () => {
  it('is up to date with the zod schema (regenerate: node agent/bench/write-report-schema.ts)', () => {
    expect(JSON.parse(readFileSync(REPORT_SCHEMA_FILE, 'utf8'))).toEqual(
      JSON.parse(reportJsonSchemaText()),
    );
  });

  it('describes the signed report and its parts', () => {
    const schema = reportJsonSchema() as {
      $schema: string;
      required: string[];
      properties: { report: { required: string[]; properties: Record<string, unknown> } };
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.required).toEqual(['report', 'signature']);
    for (const part of [
      'suite',
      'machine',
      'gpus',
      'probe',
      'workloads',
      'composite',
      'telemetry',
      'warnings',
    ]) {
      expect(schema.properties.report.required).toContain(part);
    }
    expect(schema.properties.report.properties.format).toEqual({
      type: 'string',
      const: 'roost.report/1',
    });
  });
});
