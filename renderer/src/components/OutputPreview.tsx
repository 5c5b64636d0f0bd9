/**
 * An output at a glance, as the agent read it (job.outputPreview, market.postedJobOutputPreview):
 * what is wrong with its values (NaN, infinity) first, in red, then how many values, their range
 * and mean, and the first few.
 */
import { useState } from 'react';
import { previewWords, type ResultOf } from '../../../agent/api/contract.ts';

export type Preview = ResultOf<'job.outputPreview'>;

export function PreviewWords({ preview }: { preview: Preview }) {
  const { problem, summary } = previewWords(preview);
  return (
    <>
      {problem && <span className="field-error">{`${problem} `}</span>}
      {summary}
    </>
  );
}

/**
 * The previews a list of outputs has open, by file, each read when first asked for and
 * forgotten when closed; a failed read is kept as its words.
 */
export function usePreviews(read: (file: string) => Promise<Preview | { problem: string }>) {
  const [shown, setShown] = useState<Record<string, Preview | { problem: string }>>({});
  const toggle = async (file: string) => {
    if (shown[file]) {
      setShown(({ [file]: _closed, ...rest }) => rest);
      return;
    }
    const got = await read(file);
    setShown((open) => ({ ...open, [file]: got }));
  };
  return { shown, toggle };
}

/** One open preview: its words, or why it could not be read. */
export function PreviewText({ preview }: { preview: Preview | { problem: string } }) {
  return 'problem' in preview ? (
    <span className="field-error">{preview.problem}</span>
  ) : (
    <PreviewWords preview={preview} />
  );
}
