/**
 * Choosing files for a path field: a "Choose…" button (the system's file picker) and files
 * dropped on the field's row, made into paths on the machine Roost runs on (choose-files.ts) —
 * at once in the desktop app, after a progress bar on the browser dashboard, which sends them to
 * Roost first.
 */
import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { useAgent } from '../AgentContext.tsx';
import { byName, canChooseFiles, pathsOfChosen, type SendProgress } from '../choose-files.ts';
import { describeError } from '../api/error-messages.ts';
import { diskWords } from '../../../agent/api/contract.ts';

/** One field's way of taking files: chosen with its button or dropped on its row. */
export interface FileChooser {
  /** Whether this page can take files at all. */
  available: boolean;
  take(files: readonly File[]): Promise<void>;
  sending: SendProgress | undefined;
  stop(): void;
  /** Files are being dragged over the field's row. */
  over: boolean;
  setOver(over: boolean): void;
}

/**
 * `onChosen` hears the paths (sorted by name when several) with the files; `onProblem` a refusal
 * in words, or '' to clear an earlier one.
 */
export function useFileChooser(
  onChosen: (paths: string[], files: File[]) => void,
  onProblem: (problem: string) => void,
): FileChooser {
  const { client } = useAgent();
  const [sending, setSending] = useState<SendProgress>();
  const [over, setOver] = useState(false);
  const stop = useRef<AbortController>(undefined);
  return {
    available: canChooseFiles(client),
    sending,
    over,
    setOver,
    stop: () => stop.current?.abort(),
    async take(list) {
      const files = byName(list);
      if (files.length === 0 || sending) return;
      onProblem('');
      const controller = new AbortController();
      stop.current = controller;
      const paths = await pathsOfChosen(client, files, setSending, controller.signal);
      setSending(undefined);
      if (paths.ok) onChosen(paths.value, files);
      // Stopped by its own Stop button: nothing went wrong, nothing to say.
      else if (!controller.signal.aborted) onProblem(describeError(paths.error));
    },
  };
}

const carriesFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');

/** The handlers that make an element take files dropped on it, and its class while they hover. */
export function dropZone(chooser: FileChooser, className: string) {
  if (!chooser.available) return { className };
  return {
    className: chooser.over ? `${className} drop-over` : className,
    onDragOver: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      if (!chooser.over) chooser.setOver(true);
    },
    onDragLeave: (e: DragEvent) => {
      // Leaving for one of its own children is not leaving.
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) chooser.setOver(false);
    },
    onDrop: (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault();
      chooser.setOver(false);
      void chooser.take(Array.from(e.dataTransfer.files));
    },
  };
}

export interface ChooseFilesProps {
  chooser: FileChooser;
  /** The button's words, saying what it chooses: "Choose model…". */
  children: ReactNode;
  /** What the files are, in the progress bar's name ("the model", "files for input x"). */
  label: string;
  multiple?: boolean;
  /** File types the picker offers first, e.g. ".npy". */
  accept?: string;
}

/** The Choose… button, its hidden picker, and the progress of sending what was chosen. */
export function ChooseFiles({ chooser, ...props }: ChooseFilesProps) {
  const picker = useRef<HTMLInputElement>(null);
  if (!chooser.available) return null;
  const { sending } = chooser;
  return (
    <span className="choose-files">
      <button
        type="button"
        className="secondary"
        disabled={sending !== undefined}
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
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          e.target.value = '';
          void chooser.take(files);
        }}
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
          <button type="button" className="secondary" onClick={chooser.stop}>
            Stop sending
          </button>
        </>
      )}
    </span>
  );
}
