import { describe, expect, it } from 'vitest';
import {
  UNIT_MARKER,
  UnitPathError,
  compareUnits,
  differenceLines,
  credentialPath,
  execArgument,
  execProgram,
  systemdVersion,
  unitText,
  userUnitDir,
  type UnitOptions,
} from './service-unit.ts';

const BASE: UnitOptions = {
  node: '/opt/roost/node_modules/node/bin/node',
  roostBin: '/opt/roost/bin/roost.js',
  dataDir: '/home/miner/.config/Roost',
};

/**
 * `ExecStart=` read back as systemd reads it (systemd.service(5), "Command lines"): specifiers
 * first (`%%` is `%`), then words split on whitespace with double quotes and C escapes, then
 * `$$` is `$` in the arguments (the program's path takes no variables).
 */
function systemdArgv(line: string): string[] {
  const text = line.replace(/%%/g, '%');
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i += 1;
    if (i >= text.length) break;
    let word = '';
    if (text[i] === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          i += 1;
          word += text[i];
        } else word += text[i];
        i += 1;
      }
      i += 1;
    } else {
      while (i < text.length && text[i] !== ' ') word += text[i++];
    }
    words.push(word);
  }
  return words.map((w, n) => (n === 0 ? w : w.replace(/\$\$/g, '$')));
}

function line(text: string, key: string): string | undefined {
  return text
    .split('\n')
    .find((l) => l.startsWith(`${key}=`))
    ?.slice(key.length + 1);
}

describe('the roost.service unit', () => {
  it('runs roost serve with the pinned Node, restarts on failure, stops cleanly, starts at boot', () => {
    const text = unitText(BASE);
    expect(text.split('\n')[0]).toBe(UNIT_MARKER);
    expect(line(text, 'ExecStart')).toBe(
      '"/opt/roost/node_modules/node/bin/node" "/opt/roost/bin/roost.js" serve --data-dir "/home/miner/.config/Roost"',
    );
    for (const setting of [
      'Restart=on-failure',
      'RestartSec=10',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=60',
      'WantedBy=default.target',
    ])
      expect(text.split('\n')).toContain(setting);
    expect(text).toMatch(/\[Service\][^[]*ExecStart=[^[]*\[Install\]\nWantedBy=default\.target\n$/);
    expect(text).not.toContain('LoadCredential');
  });

  it('quotes a data folder with a space so systemd passes it as one argument', () => {
    const text = unitText({ ...BASE, dataDir: '/home/miner/Roost data' });
    expect(line(text, 'ExecStart')).toContain('--data-dir "/home/miner/Roost data"');
    expect(systemdArgv(line(text, 'ExecStart')!)).toEqual([
      BASE.node,
      BASE.roostBin,
      'serve',
      '--data-dir',
      '/home/miner/Roost data',
    ]);
  });

  it('escapes quotes, backslashes, % and $ in the arguments as systemd expects', () => {
    const dataDir = '/srv/lab "gpu" 100%/$HOME\\x';
    const roostBin = '/opt/my roost/bin/roost.js';
    const exec = line(unitText({ ...BASE, roostBin, dataDir }), 'ExecStart')!;
    expect(exec).toContain('"/srv/lab \\"gpu\\" 100%%/$$HOME\\\\x"');
    expect(systemdArgv(exec)).toEqual([BASE.node, roostBin, 'serve', '--data-dir', dataDir]);
    expect(execArgument('a%b$c')).toBe('"a%%b$$c"');
  });

  it("writes the program's path with % escaped and $ kept, and refuses quotes or backslashes there", () => {
    expect(execProgram('/opt/r $x 5%/node')).toBe('"/opt/r $x 5%%/node"');
    expect(() => execProgram('/opt/"roost"/node')).toThrow(UnitPathError);
    expect(() => execProgram("/opt/it's/node")).toThrow(/move Roost to a folder without them/);
    expect(() => execProgram('/opt/a\\b/node')).toThrow(UnitPathError);
    const exec = line(unitText({ ...BASE, node: '/home/m/my roost/node' }), 'ExecStart')!;
    expect(systemdArgv(exec)[0]).toBe('/home/m/my roost/node');
  });

  it('refuses a path with a line break, or one that is not a full path', () => {
    expect(() => unitText({ ...BASE, dataDir: '/home/miner/two\nlines' })).toThrow(
      /line break or another control character/,
    );
    expect(() => unitText({ ...BASE, dataDir: 'relative/Roost' })).toThrow(/must be a full path/);
  });

  it('passes --port through', () => {
    expect(line(unitText({ ...BASE, port: 7790 }), 'ExecStart')).toMatch(/ --port 7790$/);
  });

  it('hands the password file over as a systemd credential, its path unquoted', () => {
    const text = unitText({
      ...BASE,
      unlockWith: { file: '/home/miner/secret files/roost 100%.pw', via: 'credential' },
    });
    expect(line(text, 'LoadCredential')).toBe(
      'roost-wallet-password:/home/miner/secret files/roost 100%%.pw',
    );
    expect(line(text, 'ExecStart')).not.toContain('--unlock-with');
  });

  it('names the password file with --unlock-with where systemd is too old for credentials', () => {
    const text = unitText({
      ...BASE,
      unlockWith: { file: '/home/miner/roost pw', via: 'flag' },
    });
    expect(text).not.toContain('LoadCredential');
    expect(systemdArgv(line(text, 'ExecStart')!).slice(-2)).toEqual([
      '--unlock-with',
      '/home/miner/roost pw',
    ]);
  });

  it('refuses a credential path that systemd would cut short', () => {
    expect(credentialPath('/a/b%c')).toBe('/a/b%%c');
    expect(() => credentialPath('/a/pw ')).toThrow(UnitPathError);
    expect(() => credentialPath('/a/pw\\')).toThrow(UnitPathError);
  });
});

describe('comparing an installed unit with Roost’s', () => {
  it('knows its own unit, and names each setting that differs', () => {
    const mine = unitText(BASE);
    expect(compareUnits(mine, mine)).toEqual({ ours: true, differences: [] });
    // Comments and blank lines are not settings.
    expect(compareUnits(`${mine}\n# edited by hand\n`, mine).differences).toEqual([]);
    const other = unitText({ ...BASE, dataDir: '/srv/roost', port: 8000 });
    const { ours, differences } = compareUnits(mine, other);
    expect(ours).toBe(true);
    expect(differences).toEqual([
      {
        setting: 'ExecStart',
        installed: line(mine, 'ExecStart'),
        wanted: line(other, 'ExecStart'),
      },
    ]);
  });

  it('says each difference as installed against this command', () => {
    expect(
      differenceLines([
        { setting: 'LoadCredential', installed: 'roost-wallet-password:/p', wanted: null },
      ]),
    ).toEqual([
      '  LoadCredential=',
      '    installed:     roost-wallet-password:/p',
      '    this command:  (not set)',
    ]);
  });

  it("tells a unit someone else wrote from Roost's", () => {
    const foreign = '[Unit]\nDescription=my miner\n\n[Service]\nExecStart=/usr/bin/miner\n';
    const { ours, differences } = compareUnits(foreign, unitText(BASE));
    expect(ours).toBe(false);
    expect(differences.map((d) => d.setting)).toContain('Restart');
    expect(differences.find((d) => d.setting === 'Restart')?.installed).toBeNull();
  });
});

describe('where units live, and which systemd runs', () => {
  it('uses $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user', () => {
    expect(userUnitDir({ XDG_CONFIG_HOME: '/cfg' }, '/home/m')).toBe('/cfg/systemd/user');
    expect(userUnitDir({}, '/home/m')).toBe('/home/m/.config/systemd/user');
    // The XDG spec ignores a relative path.
    expect(userUnitDir({ XDG_CONFIG_HOME: 'cfg' }, '/home/m')).toBe('/home/m/.config/systemd/user');
  });

  it('reads the version from systemctl --version', () => {
    expect(systemdVersion('systemd 252 (252.38-1~deb12u1)\n+PAM +AUDIT')).toBe(252);
    expect(systemdVersion('systemd 249 (249.11-0ubuntu3.12)')).toBe(249);
    expect(systemdVersion('')).toBeUndefined();
  });
});
