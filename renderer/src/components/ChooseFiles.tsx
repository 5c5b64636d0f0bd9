/**
 * A "Choose…" button beside a path field: the system's file picker, then the chosen files as
 * paths on the machine Roost runs on (choose-files.ts) — at once in the desktop app, after a
 * progress bar on the browser dashboard, which sends them to Roost first.
 */
import { useRef, useState, type ReactNode } from 'react';
import { useAgent } from '../AgentContext.tsx';
import { byName, canChooseFiles, pathsOfChosen, type SendProgress } from '../choose-files.ts';
import { describeError } from '../api/error-messages.ts';
import { diskWords } from '../../../agent/api/contract.ts';

export interface ChooseFilesProps {
  /** The button's words, saying what it chooses: "Choose model…". */
  children: ReactNode;
  /** What the files are, in the progress bar's name ("the model", "files for input x"). */
  label: string;
  multiple?: boolean;
  /** File types the picker offers first, e.g. ".npy". */
  accept?: string;
  disabled?: boolean;
  /** The chosen files' paths (sorted by name when several), with the files themselves. */
  onChosen: (paths: string[], files: File[]) => void;
  /** A refusal in words ('' clears an earlier one). */
  onProblem: (problem: string) => void;
}

export function ChooseFiles(props: ChooseFilesProps) {
  const { client } = useAgent();
  const picker = useRef<HTMLInputElement>(null);
  const [sending, setSending] = useState<SendProgress>();
  const stop = useRef<AbortController>(undefined);
  if (!canChooseFiles(client)) return null;
  const chosen = async (list: FileList | null) => {
    const files = byName(Array.from(list ?? []));
    if (picker.current) picker.current.value = '';
    if (files.length === 0) return;
    props.onProblem('');
    const controller = new AbortController();
    stop.current = controller;
    const paths = await pathsOfChosen(client, files, setSending, controller.signal);
    setSending(undefined);
    if (paths.ok) props.onChosen(paths.value, files);
    // Stopped by its own Stop button: nothing went wrong, nothing to say.
    else if (!controller.signal.aborted) props.onProblem(describeError(paths.error));
  };
  return (
    <span className="choose-files">
      <button
        type="button"
        className="secondary"
        disabled={props.disabled === true || sending !== undefined}
        onClick={() => picker.current?.click()}
      >
        {props.children}
      </button>
      <input
        ref={picker}
        type="file"
        hidden
        multiple={props.multiple === true}
        {...(props.accept ? { accept: props.accept } : {})}
        data-testid={`choose-${props.label}`}
        onChange={(e) => void chosen(e.target.files)}
      />
      {sending && (
        <>
          <span className="job-progress" role="status">
            <progress
              max={Math.max(1, sending.totalBytes)}
              value={sending.sentBytes}
              aria-label={`Sending ${props.label} to Roost`}
            />
            Sending {sending.files === 1 ? 'the file' : `${sending.done} of ${sending.files} files`}{' '}
            to Roost: {diskWords(sending.sentBytes)} of {diskWords(sending.totalBytes)}
          </span>
          <button type="button" className="secondary" onClick={() => stop.current?.abort()}>
            Stop sending
          </button>
        </>
      )}
    </span>
  );
}
