import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Handlers } from '../router.ts';
import { ApiFailure } from '../errors.ts';
import type { DownloadLinks } from '../download-links.ts';
import { fileDownload } from '../file-answers.ts';
import type { DiagnosticFacts } from '../../diagnostics/diagnose.ts';
import { whyNoJobs } from '../../diagnostics/diagnose.ts';
import type { Redactor } from '../../diagnostics/redact.ts';
import { buildSupportBundle } from '../../diagnostics/support-bundle.ts';
import { probeCacheDir, type HardwareService } from '../../hardware/index.ts';
import type { WorkPolicy } from '../../schedule/work-policy.ts';
import type { SettingsStore } from '../../store/settings-store.ts';
import { ROOST_VERSION } from '../../version.ts';

export interface DiagnosticsDeps {
  dataDir: string;
  hardware: HardwareService;
  policy: WorkPolicy;
  settings: SettingsStore;
  redactor: Redactor;
  now: () => Date;
  /** What the other parts know (agent status, benchmark score, wallet, chain); unknown is left out. */
  extraFacts?: () => Promise<Partial<DiagnosticFacts>>;
  /** Documents for the support bundle (status, versions). */
  documents?: () => Promise<{ name: string; value: unknown }[]>;
  /** The host's download links (roost serve), for a bundle asked for as a link. */
  downloadLinks?: DownloadLinks;
}

async function gatherFacts(deps: DiagnosticsDeps): Promise<DiagnosticFacts> {
  const [inventory, probe] = await Promise.all([deps.hardware.list(), deps.hardware.probe()]);
  const latest = inventory.gpus
    .map((g) => deps.hardware.telemetry({ gpuId: g.id }).at(-1))
    .filter((s) => s !== undefined);
  const settings = deps.settings.get();
  const decisions =
    deps.policy.decisions().length > 0 ? deps.policy.decisions() : await deps.policy.evaluate();
  return {
    now: deps.now().getTime(),
    inventory,
    probe,
    telemetry: latest,
    maxTemperatureC: settings.work.maxTemperatureC,
    schedule: decisions,
    ...(await deps.extraFacts?.()),
  };
}

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

export function diagnosticsHandlers(
  deps: DiagnosticsDeps,
): Pick<
  Handlers,
  'diagnostics.whyNoJobs' | 'diagnostics.supportBundle' | 'diagnostics.supportBundleFile'
> {
  return {
    'diagnostics.whyNoJobs': async () => whyNoJobs(await gatherFacts(deps)),
    'diagnostics.supportBundle': async ({ out }) => {
      if (out !== undefined && !/\.zip$/i.test(out)) {
        throw new ApiFailure(
          'INVALID_PARAMS',
          `The support bundle is a zip file: give a name ending in .zip (got "${out}").`,
        );
      }
      const facts = await gatherFacts(deps).catch(() => undefined);
      const documents = [
        ...((await deps.documents?.()) ?? []),
        ...(facts ? [{ name: 'why-no-jobs.json', value: whyNoJobs(facts) }] : []),
        ...(facts?.inventory ? [{ name: 'gpus.json', value: facts.inventory }] : []),
      ];
      try {
        return await buildSupportBundle({
          dataDir: deps.dataDir,
          ...(out === undefined ? {} : { out: isAbsolute(out) ? out : resolve(out) }),
          now: deps.now,
          redactor: deps.redactor,
          roostVersion: ROOST_VERSION,
          probeResults: await filesIn(probeCacheDir(deps.dataDir)),
          documents,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ApiFailure(
          'UNAVAILABLE',
          `The support bundle could not be written${code ? ` (${code})` : ''}: ${(error as Error).message}. Choose another place with --out.`,
        );
      }
    },
    // Only from the data folder's support/, where the page's bundles go; the name is checked.
    'diagnostics.supportBundleFile': ({ fileName, as }) => {
      const folder = join(deps.dataDir, 'support');
      return fileDownload({ name: fileName, path: join(folder, fileName) }, folder, {
        as,
        links: deps.downloadLinks,
      });
    },
  };
}
