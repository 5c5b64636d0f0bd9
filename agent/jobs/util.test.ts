import { describe, expect, it } from 'vitest';
import { slowFilesNote } from './util.ts';

describe('slowFilesNote', () => {
  it('says so when the sets waited on their files for a tenth of the run time or more', () => {
    expect(slowFilesNote(3_000, 20_000)).toBe(
      "its sets waited 3.0 s for their input and output files, beside 20.0 s running the model: the disk set the pace. Roost's data folder (--data-dir) on a faster disk would finish jobs like this sooner.",
    );
  });

  it('keeps quiet under a second, or under a tenth of the run time', () => {
    expect(slowFilesNote(900, 1_000)).toBeUndefined();
    expect(slowFilesNote(5_000, 60_000)).toBeUndefined();
  });
});
