import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import {
  executionProviderName,
  formatTimeWindows,
  parseTimeWindows,
  SETTING_LABELS,
  SETTING_OPTION_LABELS,
  settingsSections,
  type AgentStatus,
  type Settings,
  type SettingsPatch,
  type SettingsSection,
} from '../../../agent/api/contract.ts';
import { useAgent } from '../AgentContext.tsx';
import { useBrowserNoticesSwitch } from '../hooks/useBrowserNotices.ts';
import { describeError } from '../api/error-messages.ts';
import { AgentText } from '../components/AgentText.tsx';
import { DeployMarket } from '../components/DeployMarket.tsx';
import { NetworkTokensNow } from '../components/NetworkTokens.tsx';
import { PriceSuggestion } from '../components/PriceSuggestion.tsx';
import { SupportBundle } from '../components/SupportBundle.tsx';

/** Where Roost keeps its data, and how to move it (a restart with another folder). */
function DataFolder() {
  const { status } = useAgent();
  return (
    <section className="card" aria-labelledby="data-folder-title">
      <h2 id="data-folder-title">Data folder</h2>
      <p>
        Settings, the wallet's encrypted keystore, the job journal, benchmark reports and logs live
        in this folder:
      </p>
      {/* On a line of its own: inside the sentence, a long path broke in the middle of a word
          ("/tm" then "p/roost-…"). */}
      <p className="path" data-testid="data-folder">
        {status?.dataDir ?? '…'}
      </p>
      <p className="muted">
        To use another folder, quit Roost and start it with <code>--data-dir &lt;folder&gt;</code>{' '}
        (or the <code>ROOST_DATA_DIR</code> environment variable). Copy the folder to move your
        wallet, history and reports with it; keep it private: it holds your keystore.
      </p>
    </section>
  );
}

const sectionTitles: Record<SettingsSection, { title: string; about: string }> = {
  general: { title: 'General', about: 'How Roost looks and starts.' },
  work: { title: 'Work policy', about: 'When your GPUs take jobs, and when they stop.' },
  pricing: { title: 'Pricing', about: 'What you ask, and what your electricity costs.' },
  network: { title: 'Network', about: 'Which market Roost works for.' },
  market: { title: 'Market', about: 'Taking jobs, your stake, payouts and practice jobs.' },
  accelerators: {
    title: 'Accelerators',
    about: 'Which of the accelerators that work here jobs may use.',
  },
  updates: { title: 'Updates', about: 'How the desktop app updates itself.' },
  server: { title: 'Headless server', about: 'The dashboard of `roost serve`.' },
  notifications: {
    title: 'Notifications',
    about:
      'When a job finishes, a payment arrives or Roost needs you: which of these are shown as notifications (by the desktop app, or a browser with the dashboard), and which a Discord, Slack or other channel is told, for a rig or lab server no one watches. The webhook URL holds a key, so Roost keeps it secret: never in the log, left out of support bundles.',
  },
};

const fieldLabels = SETTING_LABELS;

/**
 * Settings → Notifications → In this browser: Roost's notices as the browser's notifications
 * (roost serve's dashboard; the desktop app shows its own), kept per browser, not in Settings.
 */
function BrowserNoticesSwitch() {
  const { state, turnOn, turnOff } = useBrowserNoticesSwitch();
  if (state === 'unavailable') return null;
  return (
    <div className="field" data-testid="browser-notices">
      <span className="label">In this browser</span>
      <div className="webhook-test">
        {state === 'off' ? (
          <button type="button" className="secondary" onClick={() => void turnOn()}>
            Show notices in this browser
          </button>
        ) : (
          <button type="button" className="secondary" onClick={turnOff}>
            Stop showing them here
          </button>
        )}
      </div>
      <div className="help">
        {state === 'on' ? (
          <small role="status">
            This browser shows the notices ticked above while the dashboard’s tab is in the
            background.
          </small>
        ) : state === 'blocked' ? (
          <small role="alert">
            This browser blocks notifications from this page: allow them in its site settings (the
            icon left of the address), then reload the page.
          </small>
        ) : (
          <small>
            A notification of each kind ticked above while the dashboard’s tab is in the background.
          </small>
        )}
      </div>
    </div>
  );
}

/**
 * Settings → Notifications → Send a test: sends a test notice to the URL in the field now, saved
 * or not, and says what the webhook answered. A URL the field would refuse is not sent.
 */
function WebhookTest({ url, onInvalid }: { url: string; onInvalid: (message: string) => void }) {
  const { client } = useAgent();
  const [sending, setSending] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const send = async () => {
    setOutcome(undefined);
    if (url.trim() === '') {
      setOutcome({ ok: false, text: 'Enter the webhook’s URL above first, then send a test.' });
      return;
    }
    const checked = settingsSections.notifications.shape.webhookUrl.safeParse(url.trim());
    if (!checked.success) {
      onInvalid(issueInWords(checked.error.issues[0], url));
      return;
    }
    setSending(true);
    const result = await client.call('notifications.test', { webhookUrl: checked.data });
    setSending(false);
    setOutcome(
      result.ok
        ? {
            ok: true,
            text: `Sent: the webhook answered ${result.value.status}. Look for “Roost: Test notification” where it posts.`,
          }
        : { ok: false, text: describeError(result.error) },
    );
  };
  return (
    <div className="field">
      <span className="label">Try it</span>
      <div className="webhook-test">
        <button type="button" className="secondary" disabled={sending} onClick={() => void send()}>
          {sending ? 'Sending…' : 'Send a test'}
        </button>
      </div>
      <div className="help">
        {outcome && (
          <small role={outcome.ok ? 'status' : 'alert'} data-testid="webhook-test-result">
            {outcome.text}
          </small>
        )}
      </div>
    </div>
  );
}

/**
 * Help in the page's words where the schema's description speaks in raw values (`null`, `false`)
 * that suit the command line but not a form; the rest use the schema's description.
 */
const acceleratorIds = settingsSections.accelerators.shape.disabled.element.options;
const fieldHelp: Record<string, string> = {
  'general.onboarded': 'Untick to show the first-run setup on the Dashboard again',
  'market.autoWithdrawAbove':
    'Withdraw earnings to the wallet once the market holds more than this; empty: only when you withdraw yourself',
  // What the money settings are for, without "net yield".
  'pricing.electricityPricePerKwh':
    'What you pay per kWh: the electricity a GPU uses while it works is taken off what it earns',
  'pricing.tokenValueInCurrency':
    'What one market token is worth in your currency, so earnings show in it too',
  // The network's name as its list says it ("Built-in practice network"), not "devnet".
  'network.name':
    'The built-in practice network on this computer, or a custom one: then give its RPC URL and market address',
  'market.practice':
    'On the built-in practice network, post sample jobs now and then so you can watch Roost earn',
  'accelerators.disabled':
    'Jobs never run on a ticked one, even where it works; the rest are tried in order',
  'network.tokens':
    "For a custom network: do the market's tokens have value? Test money is never turned into your currency, and electricity is not taken from it. The built-in network and known test chains (Sepolia, Hardhat, …) are always test money",
};

const optionLabels: Record<string, string> = {
  ...Object.fromEntries(
    acceleratorIds.map((ep) => [`accelerators.disabled.${ep}`, executionProviderName(ep)]),
  ),
  ...SETTING_OPTION_LABELS,
};

/**
 * The port `roost serve` listens on now, beside its setting, which it may not be: `--port` wins
 * over the setting, and a changed setting applies from the next start. Undefined where nothing
 * serves a dashboard (the desktop app).
 */
function serverPortNow(status: AgentStatus | undefined, saved: number): string | undefined {
  const server = status?.server;
  if (!server) return undefined;
  if (server.portFrom === 'flag')
    return `now on ${server.port} (set by \`--port\`; this setting applies when \`roost serve\` starts without \`--port\`)`;
  return server.port === saved
    ? `now on ${server.port}`
    : `now on ${server.port}; ${saved} applies when \`roost serve\` starts again`;
}

type Draft = Record<string, string | boolean>;

/** The entries of a list field's draft (`cpu, webgpu`). */
const listOf = (value: string | boolean | undefined): string[] =>
  String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** The id of a field's input: `setting-work-idleMinutes` for `work.idleMinutes`. */
const inputId = (key: string) => `setting-${key.replace('.', '-')}`;

type FieldKind =
  | { kind: 'enum'; options: string[] }
  | { kind: 'boolean' | 'number' | 'text'; nullable: boolean }
  | { kind: 'windows' | 'list'; nullable: false }
  | { kind: 'choices'; options: string[] };

function kindOf(schema: z.ZodType): FieldKind {
  let inner = schema;
  if (inner instanceof z.ZodArray) {
    // A list of known values is a box to tick for each: nothing to spell.
    if (inner.element instanceof z.ZodEnum)
      return { kind: 'choices', options: inner.element.options as string[] };
    return { kind: inner.element instanceof z.ZodObject ? 'windows' : 'list', nullable: false };
  }
  let nullable = false;
  if (inner instanceof z.ZodNullable) {
    nullable = true;
    inner = inner.unwrap() as z.ZodType;
  }
  if (inner instanceof z.ZodEnum) return { kind: 'enum', options: inner.options as string[] };
  if (inner instanceof z.ZodBoolean) return { kind: 'boolean', nullable };
  if (inner instanceof z.ZodNumber) return { kind: 'number', nullable };
  return { kind: 'text', nullable };
}

function fieldsOf(section: SettingsSection): [string, z.ZodType][] {
  return Object.entries(settingsSections[section].shape) as [string, z.ZodType][];
}

function toDraft(settings: Settings): Draft {
  const draft: Draft = {};
  for (const section of Object.keys(settingsSections) as SettingsSection[]) {
    for (const [name] of fieldsOf(section)) {
      const value = (settings[section] as Record<string, unknown>)[name];
      draft[`${section}.${name}`] =
        typeof value === 'boolean'
          ? value
          : value === null || value === undefined
            ? ''
            : Array.isArray(value)
              ? name === 'windows'
                ? formatTimeWindows(value as Parameters<typeof formatTimeWindows>[0])
                : value.join(', ')
              : String(value);
    }
  }
  return draft;
}

/**
 * What is wrong with a value, in words: zod's own texts (`Invalid option: expected one of
 * "cpu"|…`) are for developers. A message a schema wrote itself (`must be a 0x-prefixed …`) is
 * kept.
 */
export function issueInWords(issue: z.core.$ZodIssue | undefined, value: unknown): string {
  if (!issue) return 'Not valid.';
  switch (issue.code) {
    case 'too_big':
      return issue.origin === 'array'
        ? `At most ${String(issue.maximum)} entries.`
        : `At most ${String(issue.maximum)}.`;
    case 'too_small':
      return issue.origin === 'array'
        ? `At least ${String(issue.minimum)} entries.`
        : `At least ${String(issue.minimum)}.`;
    case 'invalid_value': {
      // In a list, the path's last step is the index of the entry that is not allowed.
      const at = issue.path.at(-1);
      const given = typeof at === 'number' && Array.isArray(value) ? value[at] : value;
      return `"${String(given)}" is not one of: ${issue.values.map(String).join(', ')}.`;
    }
    case 'invalid_format':
      if (issue.format === 'url')
        return 'Enter a full URL that starts with http://, https://, ws:// or wss://.';
      return issue.message.startsWith('Invalid')
        ? 'Not in the expected form.'
        : `${issue.message}.`;
    case 'invalid_type':
      return 'Not valid here.';
    case 'custom':
      // A schema's own words after the field's name (`must start with https://…`): a sentence here.
      return /^must /.test(issue.message)
        ? `${issue.message.charAt(0).toUpperCase()}${issue.message.slice(1)}.`
        : issue.message;
    default:
      return issue.message.startsWith('Invalid') ? 'Not valid.' : issue.message;
  }
}

/** The draft's changed fields as a patch, or the first field that does not parse. */
function toPatch(
  draft: Draft,
  saved: Settings,
): { patch: SettingsPatch; errors: Record<string, string> } {
  const patch: Record<string, Record<string, unknown>> = {};
  const errors: Record<string, string> = {};
  for (const section of Object.keys(settingsSections) as SettingsSection[]) {
    for (const [name, schema] of fieldsOf(section)) {
      const key = `${section}.${name}`;
      const raw = draft[key];
      const kind = kindOf(schema);
      let value: unknown = raw;
      if (kind.kind === 'number') value = raw === '' ? Number.NaN : Number(raw);
      if (kind.kind === 'list' || kind.kind === 'choices') {
        value = String(raw)
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
      }
      if (kind.kind === 'windows') {
        const parsed = parseTimeWindows(String(raw));
        if (!parsed.ok) {
          errors[key] = `${parsed.error}.`;
          continue;
        }
        value = parsed.value;
      }
      if ((kind.kind === 'number' || kind.kind === 'text') && kind.nullable && raw === '')
        value = null;
      const checked = schema.safeParse(value);
      if (!checked.success) {
        errors[key] =
          kind.kind === 'number' && Number.isNaN(value)
            ? /^\s*-?\d+,\d+\s*$/.test(String(raw))
              ? `Use a dot for decimals: ${String(raw).trim().replace(',', '.')}.`
              : 'Enter a number.'
            : issueInWords(checked.error.issues[0], value);
        continue;
      }
      if (
        JSON.stringify(checked.data) !==
        JSON.stringify((saved[section] as Record<string, unknown>)[name])
      ) {
        (patch[section] ??= {})[name] = checked.data;
      }
    }
  }
  return { patch: patch as SettingsPatch, errors };
}

export function SettingsPage() {
  const { client, settings, setSettings, status } = useAgent();
  const [draft, setDraft] = useState<Draft>();
  const [base, setBase] = useState<Settings>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const [saving, setSaving] = useState(false);
  // The field a refused save sends the user to; a new object each time, so a second refusal of
  // the same field scrolls to it again.
  const [refused, setRefused] = useState<{ key: string }>();

  // After the refusal is drawn (the field's error under it), bring the first invalid field into
  // view and put the cursor in it: the banner at the top may be out of sight, and the field under
  // the sticky Save bar (styles.css keeps a bar's height of margin below each field).
  useEffect(() => {
    if (!refused) return;
    const input = document.getElementById(inputId(refused.key));
    input?.closest('.field')?.scrollIntoView({ block: 'nearest' });
    input?.focus({ preventScroll: true });
  }, [refused]);

  // Follow changes made elsewhere (the CLI, another window) unless the user is editing. This is
  // React's "adjust state while rendering" pattern: no effect, no extra commit.
  if (settings && settings !== base) {
    const untouched = !draft || !base || JSON.stringify(draft) === JSON.stringify(toDraft(base));
    if (untouched) {
      setDraft(toDraft(settings));
      setBase(settings);
    }
  }

  if (!settings || !draft) return <p className="muted">Loading settings…</p>;

  // Dirty means anything typed differs from what is saved, valid or not (so Save can explain).
  const dirty = JSON.stringify(draft) !== JSON.stringify(toDraft(base ?? settings));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = toPatch(draft, settings);
    setErrors(checked.errors);
    if (Object.keys(checked.errors).length > 0) {
      setNotice({
        kind: 'error',
        text: 'Some values are not valid; nothing was saved. Fix the fields marked below.',
      });
      setRefused({ key: Object.keys(checked.errors)[0]! });
      return;
    }
    setSaving(true);
    const result = await client.call('settings.update', checked.patch);
    setSaving(false);
    if (result.ok) {
      setSettings(result.value);
      setBase(result.value);
      setDraft(toDraft(result.value));
      setNotice({ kind: 'ok', text: 'Settings saved.' });
    } else {
      setNotice({ kind: 'error', text: `${describeError(result.error)} Nothing was saved.` });
    }
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Settings</h1>
      <form className="settings-form" onSubmit={(e) => void submit(e)} noValidate>
        {notice?.kind === 'error' && (
          <div className="banner banner-error" role="alert">
            {notice.text}
          </div>
        )}
        {(Object.keys(settingsSections) as SettingsSection[]).map((section) => (
          <fieldset key={section} className="card settings-section">
            <legend>{sectionTitles[section].title}</legend>
            <p className="muted">
              <AgentText text={sectionTitles[section].about} />
            </p>
            {fieldsOf(section).map(([name, schema]) => {
              const key = `${section}.${name}`;
              const id = inputId(key);
              const kind = kindOf(schema);
              const value = draft[key];
              const error = errors[key];
              const now =
                key === 'server.port' ? serverPortNow(status, settings.server.port) : undefined;
              const describedBy = `${id}-help${now ? ` ${id}-now` : ''}${error ? ` ${id}-error` : ''}`;
              const update = (v: string | boolean) => {
                setDraft({ ...draft, [key]: v });
                setNotice(undefined);
                if (errors[key]) setErrors({ ...errors, [key]: '' });
              };
              return (
                <Fragment key={key}>
                  <div className={`field field-${kind.kind}`}>
                    {kind.kind === 'choices' ? (
                      <span className="label" id={`${id}-label`}>
                        {fieldLabels[key] ?? key}
                      </span>
                    ) : (
                      <label htmlFor={id}>{fieldLabels[key] ?? key}</label>
                    )}
                    {kind.kind === 'choices' ? (
                      <div
                        id={id}
                        role="group"
                        className="choices"
                        aria-labelledby={`${id}-label`}
                        aria-describedby={describedBy}
                      >
                        {kind.options.map((o) => {
                          const ticked = listOf(value).includes(o);
                          return (
                            <label key={o}>
                              <input
                                type="checkbox"
                                checked={ticked}
                                onChange={() =>
                                  update(
                                    kind.options
                                      .filter((c) =>
                                        c === o ? !ticked : listOf(value).includes(c),
                                      )
                                      .join(', '),
                                  )
                                }
                              />
                              {optionLabels[`${key}.${o}`] ?? o}
                            </label>
                          );
                        })}
                      </div>
                    ) : kind.kind === 'enum' ? (
                      <select
                        id={id}
                        value={String(value)}
                        onChange={(e) => update(e.target.value)}
                        aria-describedby={describedBy}
                        // The built-in network's tokens are test money whatever this says.
                        disabled={key === 'network.tokens' && draft['network.name'] === 'local'}
                      >
                        {kind.options.map((o) => (
                          <option key={o} value={o}>
                            {optionLabels[`${key}.${o}`] ?? o}
                          </option>
                        ))}
                      </select>
                    ) : kind.kind === 'boolean' ? (
                      <input
                        id={id}
                        type="checkbox"
                        checked={value === true}
                        onChange={(e) => update(e.target.checked)}
                        aria-describedby={describedBy}
                      />
                    ) : (
                      <input
                        id={id}
                        type={key === 'notifications.webhookUrl' ? 'url' : 'text'}
                        inputMode={kind.kind === 'number' ? 'decimal' : undefined}
                        value={String(value)}
                        placeholder={
                          kind.kind === 'windows'
                            ? // Short enough to show whole in the field; the help says the rest.
                              'any time, or e.g. mon-fri 22:00-07:00'
                            : kind.kind === 'list'
                              ? 'none (names separated by commas)'
                              : kind.nullable
                                ? 'none'
                                : key === 'notifications.webhookUrl'
                                  ? 'none, or e.g. https://discord.com/api/webhooks/…'
                                  : undefined
                        }
                        onChange={(e) => update(e.target.value)}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={describedBy}
                      />
                    )}
                    {/* One grid cell for the help and the suggested price, so they stack, not overlap. */}
                    <div className="help">
                      <small id={`${id}-help`}>
                        <AgentText text={fieldHelp[key] ?? schema.description ?? ''} />
                      </small>
                      {key === 'pricing.pricePerUnitHour' && <PriceSuggestion onUse={update} />}
                      {now && (
                        <div>
                          <small id={`${id}-now`} data-testid="server-port-now">
                            <AgentText text={now} />
                          </small>
                        </div>
                      )}
                    </div>
                    {error && (
                      <small id={`${id}-error`} className="field-error">
                        {error}
                      </small>
                    )}
                  </div>
                  {/* Where the notices this field chooses are shown: this browser, when asked. */}
                  {key === 'notifications.shown' && <BrowserNoticesSwitch />}
                </Fragment>
              );
            })}
            {section === 'network' && <NetworkTokensNow />}
            {section === 'notifications' && (
              <WebhookTest
                url={String(draft['notifications.webhookUrl'] ?? '')}
                onInvalid={(message) => {
                  setErrors({ ...errors, 'notifications.webhookUrl': message });
                  setRefused({ key: 'notifications.webhookUrl' });
                }}
              />
            )}
          </fieldset>
        ))}
        <div className="actions">
          <button type="submit" disabled={!dirty || saving}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!dirty || saving}
            onClick={() => {
              setDraft(toDraft(settings));
              setErrors({});
              setNotice(undefined);
            }}
          >
            Discard changes
          </button>
          {notice?.kind === 'ok' && (
            // In the bar the Save button is in: a field far down the page is saved in view.
            <span className="saved-note" role="status" data-testid="settings-saved">
              {notice.text}
            </span>
          )}
        </div>
      </form>
      <DataFolder />
      <DeployMarket />
      <SupportBundle />
    </section>
  );
}
