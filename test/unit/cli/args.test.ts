import { describe, expect, it } from 'vitest';
import { COMMANDS, UsageError, helpText, parseCommandLine } from '../../../cli/args';

describe('the command line', () => {
  it('finds the command wherever the global options are', () => {
    for (const argv of [['get', 'X', '--url', 'http://h:1'], ['--url', 'http://h:1', 'get', 'X'], ['--json', 'get', '--url=http://h:1', 'X']]) {
      const parsed = parseCommandLine(argv);
      expect(parsed.kind).toBe('run');
      if (parsed.kind !== 'run') continue;
      expect(parsed.command.name).toBe('get');
      expect(parsed.positionals).toEqual(['X']);
      expect(parsed.values.url).toBe('http://h:1');
    }
  });

  it("takes each command's own options, and refuses another command's", () => {
    const approve = parseCommandLine(['approve', 'X', '--comment', 'p99 fine', '--by', 'ann']);
    expect(approve).toMatchObject({ kind: 'run', values: { comment: 'p99 fine', by: 'ann' } });
    expect(parseCommandLine(['list', '--service', 'web', '--status', 'paused', '--limit', '5'])).toMatchObject({ values: { service: 'web', status: 'paused', limit: '5' } });
    expect(() => parseCommandLine(['approve', 'X', '--reason', 'no'])).toThrow(/Unknown option '--reason'/);
    expect(() => parseCommandLine(['promote', 'X', '--comment', 'no'])).toThrow(UsageError);
    expect(parseCommandLine(['pause', 'X', '--reason', 'p99 up', '--by', 'ann'])).toMatchObject({ kind: 'run', command: { name: 'pause' }, values: { reason: 'p99 up', by: 'ann' } });
    expect(parseCommandLine(['resume', 'X'])).toMatchObject({ kind: 'run', command: { name: 'resume' }, positionals: ['X'] });
    expect(() => parseCommandLine(['resume', 'X', '--reason', 'no'])).toThrow(/Unknown option '--reason'/);
    expect(() => parseCommandLine(['pause'])).toThrow('pause takes <id>');
  });

  it('says what is missing or extra among the arguments', () => {
    expect(() => parseCommandLine(['get'])).toThrow('get takes <id>');
    expect(() => parseCommandLine(['get', 'a', 'b'])).toThrow('get takes <id>, not "a" "b"');
    expect(() => parseCommandLine(['services', 'x'])).toThrow('services takes no arguments, not "x"');
    expect(() => parseCommandLine(['deploy'])).toThrow(/unknown command "deploy"; commands: list, get, watch/);
  });

  it('gives help for everything and for each command', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help', 'watch'])).toMatchObject({ kind: 'help', command: { name: 'watch' } });
    expect(parseCommandLine(['watch', '-h'])).toMatchObject({ kind: 'help', command: { name: 'watch' } });
    const all = helpText();
    for (const c of COMMANDS) expect(all).toContain(`  ${c.name}`);
    expect(all).toMatch(/Exit codes:[\s\S]*6 {2}watch: the rollout ended ROLLED_BACK/);
    expect(helpText(COMMANDS.find((c) => c.name === 'abort'))).toMatch(/Usage: rollout abort <id> \[options\][\s\S]*--reason <text>[\s\S]*--by <name>/);
    expect(all).toMatch(/ {2}pause <id> +hold a PROGRESSING rollout at its current weight until resumed\n {2}resume <id> +let a rollout paused by hand go on/);
    const pause = helpText(COMMANDS.find((c) => c.name === 'pause'));
    expect(pause).toMatch(/Usage: rollout pause <id> \[options\][\s\S]*Alarms still roll it back[\s\S]*--reason <text>[\s\S]*--by <name>[\s\S]*5 {2}conflict/);
    expect(helpText(COMMANDS.find((c) => c.name === 'resume'))).toMatch(/Usage: rollout resume <id> \[options\][\s\S]*--by <name>/);
  });
});
