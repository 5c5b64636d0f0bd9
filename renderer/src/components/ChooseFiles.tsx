/**
 * Choosing files for a path field: a "Choose…" button (the system's file picker) and files
 * dropped on the field's row, made into paths on the machine Roost runs on (choose-files.ts) —
 * at once in the desktop app, after a progress bar on the browser dashboard, which sends them to
 * Roost first.
 */
import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { useAgent } from '../AgentContext.tsx';
import {
  byName,
  canChooseFiles,
  folderFromPicker,
  pathOfFolder,
  pathsOfChosen,
  readDrop,
  type ChosenFolder,
  type SendProgress,
} from '../choose-files.ts';
import { describeError } from '../api/error-messages.ts';
import { diskWords, type Result } from '../../../agent/api/contract.ts';

/** One field's way of taking files: chosen with its button or dropped on its row. */
export interface FileChooser {
  /** Whether this page can take files at all. */
  available: boolean;
  take(files: readonly File[]): Promise<void>;
  /** A folder from a folder picker; undefined when the picker listed nothing in it. */
  takeFolder(folder: ChosenFolder | undefined): Promise<void>;
  /** What a drop on the field's row carried: files, or a folder where the field takes one. */
  drop(data: DataTransfer): void;
  sending: SendProgress | undefined;
  stop(): void;
  /** Files are being dragged over the field's row. */
  over: boolean;
  setOver(over: boolean): void;
}

export interface ChooserHandlers {
  /** The paths (sorted by name when several) with the files. */
  onFiles: (paths: string[], files: File[]) => void;
  /**
   * A folder's path on the machine Roost runs on and how many .npy files it holds (an input's
   * batch). Without it, a folder chosen or dropped is refused.
   */
  onFolder?: (path: string, files: number) => void;
  /** A refusal in words, or '' to clear an earlier one. */
  onProblem: (problem: string) => void;
  /** Where no folder is taken, what to give instead: "the model's .onnx file". */
  instead?: string;
}

export function useFileChooser(handlers: ChooserHandlers): FileChooser {
  const { onFiles, onFolder, onProblem } = handlers;
  const { client } = useAgent();
  const [sending, setSending] = useState<SendProgress>();
  const [over, setOver] = useState(false);
  const stop = useRef<AbortController>(undefined);
  /** Runs one choice through to paths; a second while one is sending is ignored. */
  const settle = async <T,>(
    work: (signal: AbortSignal) => Promise<Result<T>>,
    then: (value: T) => void,
  ) => {
    if (sending) return;
    onProblem('');
    const controller = new AbortController();
    stop.current = controller;
    const result = await work(controller.signal);
    setSending(undefined);
    if (result.ok) then(result.value);
    // Stopped by its own Stop button: nothing went wrong, nothing to say.
    else if (!controller.signal.aborted) onProblem(describeError(result.error));
  };
  const take = async (list: readonly File[]) => {
    const files = byName(list);
    if (files.length === 0) return;
    await settle(
      (signal) => pathsOfChosen(client, files, setSending, signal),
      (paths) => onFiles(paths, files),
    );
  };
  const takeFolder = async (folder: ChosenFolder | undefined) => {
    if (!onFolder) {
      onProblem(
        `${folder?.name ?? 'That'} is a folder: choose ${handlers.instead ?? 'the files themselves'}.`,
      );
      return;
    }
    if (!folder) {
      onProblem('That folder is empty: choose the folder that holds the input’s .npy files.');
      return;
    }
    await settle(
      (signal) => pathOfFolder(client, folder, setSending, signal),
      (path) => onFolder(path, folder.files.length),
    );
  };
  return {
    available: canChooseFiles(client),
    sending,
    over,
    setOver,
    stop: () => stop.current?.abort(),
    take,
    takeFolder,
    drop(data) {
      readDrop(data).then(
        ({ files, folders }) => {
          const [folder, ...more] = folders;
          if (!folder) return take(files);
          if (!onFolder)
            return onProblem(
              `${folder.name} is a folder: drop ${handlers.instead ?? 'the files themselves'}.`,
            );
          if (more.length > 0 || files.length > 0)
            return onProblem(
              'Drop one folder, or .npy files, not both: a folder is a whole batch (one input set per .npy file in it).',
            );
          return takeFolder(folder);
        },
        (error: unknown) =>
          onProblem(
            `The dropped folder could not be read (${error instanceof Error ? error.message : String(error)}).`,
          ),
      );
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
      chooser.drop(e.dataTransfer);
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
  /**
   * The words of a second button, whose picker chooses a folder (an input's batch): "Choose x
   * folder…". Only for a chooser that takes folders.
   */
  folder?: ReactNode;
}

/**
 * The Choose… button (and Choose folder… where a folder is taken), their hidden pickers, and
 * the progress of sending what was chosen.
 */
export function ChooseFiles({ chooser, ...props }: ChooseFilesProps) {
  if (!chooser.available) return null;
  const { sending } = chooser;
  const busy = sending !== undefined;
  return (
    <span className="choose-files">
      <Picker
        busy={busy}
        testId={`choose-${props.label}`}
        attributes={{
          multiple: props.multiple === true,
          ...(props.accept ? { accept: props.accept } : {}),
        }}
        onFiles={(files) => void chooser.take(files)}
      >
        {props.children}
      </Picker>
      {props.folder && (
        <Picker
          busy={busy}
          testId={`choose-folder-${props.label}`}
          // Chromium's folder picker: it lists every file under the folder chosen.
          attributes={{ webkitdirectory: '' }}
          onFiles={(files) => void chooser.takeFolder(folderFromPicker(files))}
        >
          {props.folder}
        </Picker>
      )}
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

/** A button that opens the system's picker (a hidden file input), and what it chose. */
function Picker(props: {
  busy: boolean;
  testId: string;
  /** The input's own attributes: multiple, accept, webkitdirectory. */
  attributes: Record<string, string | boolean>;
  onFiles: (files: File[]) => void;
  children: ReactNode;
}) {
  const picker = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        disabled={props.busy}
        onClick={() => picker.current?.click()}
      >
        {props.children}
      </button>
      <input
        ref={picker}
        type="file"
        hidden
        {...props.attributes}
        data-testid={props.testId}
        onChange={(e) => {
          const files = Array.from(e.target.files ?? []);
          // Chosen again, the same files are a change again.
          e.target.value = '';
          props.onFiles(files);
        }}
      />
    </>
  );
}
