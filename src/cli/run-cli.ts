import { Command, CommanderError, Option } from 'commander';
import { toolVersion } from '../backup/tool-version.js';
import { backupCommand, type BackupCommandOptions } from './backup-command.js';
import { cleanCommand } from './clean-command.js';
import { CliOutput, type CliStreams } from './cli-output.js';
import type { CliInspectOptions } from './cli-inspection.js';
import { demoCommand } from './demo-command.js';
import { exitCodeOfError, exitCodes, exitCodesHelp } from './exit-codes.js';
import { parseDuration } from './parse-duration.js';
import type { CliFleetOptions } from './cli-fleet.js';
import { listCommand } from './list-command.js';
import { optionParsers as p } from './option-parsers.js';
import type { ProgressDisplayOptions } from './progress-display.js';
import { restoreCommand } from './restore-command.js';
import { restoreEsentCommand } from './restore-esent-command.js';
import { demoEsentCommand } from './demo-esent-command.js';
import { UsageError } from './usage-error.js';
import { verifyCommand } from './verify-command.js';

type Opts = Record<string, unknown> & { json?: boolean; progress?: boolean };

/**
 * Runs the `ese-backup` command line `argv` (without node and the script) and resolves with its exit
 * code (see `exitCodes`): commander parses (`--help` on every command), the command calls the
 * library, and errors become one line on stderr (and `{ error, exitCode }` on stdout with `--json`).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: string[], streams: CliStreams): Promise<number> {
  let code: number = exitCodes.ok;
  const wantsJson = argv.includes('--json');
  // commander calls an action with the command's arguments, its options, then the command itself.
  const act =
    (run: (out: CliOutput, opts: Opts, args: Array<string | string[] | undefined>) => Promise<number>) =>
    async (...a: unknown[]) => {
      const command = a.at(-1) as Command;
      const opts = command.opts<Opts>();
      const out = new CliOutput(streams, { json: opts.json === true });
      try {
        code = await run(out, opts, a.slice(0, -2) as Array<string | string[] | undefined>);
      } catch (e) {
        code = exitCodeOfError(e);
        out.error(e, code);
      }
    };
  const progressOf = (opts: Opts, out: CliOutput): ProgressDisplayOptions | false =>
    opts.progress === false ? false : { stream: streams.stderr, tty: streams.stderr.isTTY === true, color: out.ce.cyan };
  const inspectOf = (opts: Opts, port: unknown): CliInspectOptions => ({
    port: typeof port === 'number' ? port : 0,
    allowStop: opts.allowStop === true,
    allowNonLoopback: opts.allowNonLoopback === true,
    ...(typeof opts.host === 'string' ? { host: opts.host } : {}),
  });

  const program = new Command('ese-backup')
    .description('Streaming backups of ESE instances that are complete and verified or clearly not, stoppable at any moment.')
    .version(toolVersion().version)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => void streams.stdout.write(s),
      writeErr: (s) => void streams.stderr.write(s),
      outputError: (s, write) => {
        write(s);
        if (wantsJson)
          streams.stdout.write(
            `${JSON.stringify({ error: { name: 'UsageError', message: s.trim().replace(/^error: /, '') }, exitCode: exitCodes.usage })}\n`,
          );
      },
    })
    .addHelpText(
      'after',
      `\n${exitCodesHelp}\n\nProgress goes to stderr (a bar on a TTY, plain lines otherwise); results to stdout, one JSON document with --json. NO_COLOR turns colors off.`,
    );
  const common = (cmd: Command, progress = false) => {
    cmd.option('--json', 'print the result as one JSON document on stdout');
    if (progress) cmd.option('--no-progress', 'no progress output on stderr');
    return cmd.addHelpText('after', `\n${exitCodesHelp}`);
  };
  const backupOptions = (cmd: Command) =>
    cmd
      .requiredOption('--engine <spec>', 'embedded:DIR (the embedded instance DIR/NAME) or esent (esent.dll, Windows)')
      .requiredOption('--instance <name>', 'the instance name')
      .requiredOption('--to <set>', 'the backup set to create (must not exist; its parent holds the sets)')
      .option('--incremental', 'JET_bitBackupIncremental: logs since the last truncating full backup')
      .option('--truncate-logs', 'JetTruncateLogInstance once the set is committed and verified from disk')
      .option('--no-verify', 'do not re-read the committed set from disk (pages are still verified as streamed)')
      .option(
        '--sign-key <file>',
        'sign the manifest with HMAC-SHA-256 under the key in FILE (manifest.sig); verify/restore/list --sign-key check it',
      )
      .option('--digest <algorithm>', "each file's digest in the manifest: blake3 (default) or sha256", p.digest)
      .option('--read-size <bytes>', 'bytes per JetReadFileInstance (default 1 MiB)', p.readSize)
      .option('--rate <MiB/s>', 'pace the reads', p.positive)
      .option('--stop-after <ms>', 'stop the backup this many milliseconds after Begin', p.count)
      .option('--system-path <dir>', 'esent: JET_paramSystemPath', '.')
      .option('--log-path <dir>', 'esent: JET_paramLogFilePath (default: the system path)')
      .option('--base-name <xyz>', 'esent: JET_paramBaseName (default edb)')
      .option('--page-size <bytes>', 'esent: JET_paramDatabasePageSize', p.pageSize)
      .option('--database <file>', 'esent: a database to attach (repeatable)', p.collect)
      .option('--esent-library <path>', 'esent: the esent.dll to load (default: the system one)');
  // The fleet (docs/fleet.md): credentials from NATS_TOKEN / NATS_USER+NATS_PASSWORD or --nats-creds, never in plain text here.
  const natsOptions = (cmd: Command, url: string) =>
    (url === '--nats' ? cmd.requiredOption.bind(cmd) : cmd.option.bind(cmd))(
      `${url} <url>`,
      url === '--fleet'
        ? 'join the fleet at this NATS server (nats://HOST:PORT) for the run: stops and holds from it, state published to it'
        : "the fleet's NATS server (nats://HOST:PORT)",
    )
      .option('--nats-creds <file>', 'NATS credentials file (token: NATS_TOKEN; user and password: NATS_USER, NATS_PASSWORD)')
      .option('--bucket <name>', "the fleet's KV bucket (default ese-backup-fleet)");
  const fleetOf = (opts: Opts, servers: unknown): CliFleetOptions | undefined =>
    typeof servers !== 'string'
      ? undefined
      : {
          servers,
          ...(typeof opts.node === 'string' ? { node: opts.node } : {}),
          ...(typeof opts.natsCreds === 'string' ? { credsFile: opts.natsCreds } : {}),
          ...(typeof opts.bucket === 'string' ? { bucket: opts.bucket } : {}),
        };
  const joinOptions = (cmd: Command) =>
    natsOptions(cmd, '--fleet').option('--node <name>', "with --fleet: this node's name (default: the host name)");
  const backupOf = (opts: Opts, out: CliOutput, inspect?: CliInspectOptions): BackupCommandOptions => ({
    engine: opts.engine as string,
    instance: opts.instance as string,
    to: opts.to as string,
    incremental: opts.incremental === true,
    truncateLogs: opts.truncateLogs === true,
    verify: opts.verify !== false,
    ...(opts.signKey !== undefined ? { signKeyFile: opts.signKey as string } : {}),
    ...(opts.readSize !== undefined ? { readSize: opts.readSize as number } : {}),
    ...(opts.digest !== undefined ? { digest: opts.digest as 'blake3' | 'sha256' } : {}),
    ...(opts.rate !== undefined ? { rate: opts.rate as number } : {}),
    ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter as number } : {}),
    esent: {
      systemPath: opts.systemPath as string,
      databases: (opts.database as string[] | undefined) ?? [],
      ...(opts.logPath ? { logPath: opts.logPath as string } : {}),
      ...(opts.baseName ? { baseName: opts.baseName as string } : {}),
      ...(opts.pageSize ? { pageSize: opts.pageSize as number } : {}),
      ...(opts.esentLibrary ? { library: opts.esentLibrary as string } : {}),
    },
    progress: progressOf(opts, out),
    ...(inspect ? { inspect } : {}),
    ...(opts.fleet !== undefined ? { fleet: fleetOf(opts, opts.fleet)! } : {}),
  });
  const inspectorOptions = (cmd: Command) =>
    cmd
      .option('--host <addr>', 'inspector: address to bind (default 127.0.0.1)')
      .option('--allow-stop', 'inspector: serve a STOP button')
      .option('--allow-non-loopback', 'inspector: allow binding a non-loopback address (it has no authentication)');

  common(
    joinOptions(
      inspectorOptions(
        program
          .command('demo')
          .description(
            'the main job: an embedded instance with a live writer, one full backup with progress, stopped by Ctrl-C or --stop-after; then verify and restore, or show that nothing incomplete is visible',
          )
          .option(
            '--dir <dir>',
            'keep the instance DIR/demo, the sets DIR/backups and the restores here (default: a temporary directory, removed)',
          )
          .option('--size <MiB>', 'database size', p.positive, 256)
          .option('--stop-after <ms>', 'stop the backup this many milliseconds after Begin', p.count)
          .option('--rate <MiB/s>', 'pace the backup so it can be watched and stopped (0: full speed)', p.nonNegative, 64)
          .addOption(
            new Option(
              '--inspect [port]',
              'serve the live inspector on loopback (port 0 or none: any free port), and keep serving after the run until Ctrl-C',
            ).argParser(p.port),
          )
          .option('--engine <engine>', 'embedded (default) or esent: the same job on a real ESE database through esent.dll')
          .option('--esent-library <path>', 'esent: the esent.dll to load (default: the system one)'),
      ),
    ),
    true,
  ).action(
    act(async (out, opts) => {
      if (opts.engine === 'esent') {
        if (opts.inspect !== undefined || opts.fleet !== undefined)
          throw new UsageError('demo --engine esent takes neither --inspect nor --fleet (yet)');
        return demoEsentCommand(
          {
            ...(opts.dir ? { dir: opts.dir as string } : {}),
            size: opts.size as number,
            rate: opts.rate as number,
            ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter as number } : {}),
            ...(opts.esentLibrary ? { library: opts.esentLibrary as string } : {}),
            progress: progressOf(opts, out),
          },
          out,
        );
      }
      if (opts.engine !== undefined && opts.engine !== 'embedded')
        throw new UsageError(`demo --engine must be embedded or esent, got ${JSON.stringify(opts.engine)}`);
      return demoCommand(
        {
          ...(opts.dir ? { dir: opts.dir as string } : {}),
          size: opts.size as number,
          rate: opts.rate as number,
          ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter as number } : {}),
          ...(opts.inspect !== undefined ? { inspect: inspectOf(opts, opts.inspect) } : {}),
          ...(opts.fleet !== undefined ? { fleet: fleetOf(opts, opts.fleet)! } : {}),
          progress: progressOf(opts, out),
        },
        out,
      );
    }),
  );

  common(
    joinOptions(
      backupOptions(program.command('backup').description('one full or incremental streaming backup of an instance into a new backup set')),
    ),
    true,
  )
    .addHelpText(
      'after',
      '\nExamples:\n  ese-backup demo --dir ./ese\n  ese-backup backup --engine embedded:./ese --instance demo --to ./ese/backups/full-2 --truncate-logs\n  ese-backup backup --engine embedded:./ese --instance demo --to ./ese/backups/incr-1 --incremental',
    )
    .action(act(async (out, opts) => backupCommand(backupOf(opts, out), out)));

  common(
    inspectorOptions(
      backupOptions(
        program
          .command('inspect')
          .description(
            'a backup (as `backup`) with the live inspector: each chart, the calls allowed now, the timeline; keeps serving after the run until Ctrl-C',
          )
          .option('--port <port>', 'inspector port (default 0: any free port)', p.port, 0),
      ),
    ),
    true,
  ).action(act(async (out, opts) => backupCommand(backupOf(opts, out, inspectOf(opts, opts.port)), out)));

  common(
    program
      .command('verify')
      .description(
        'verify backup sets (manifest, sizes, file digests (BLAKE3 or SHA-256, as the manifest names), every page checksum, log headers and generations) or single ESE files',
      )
      .argument('[sets...]', 'backup set directories')
      .option('--file <path...>', 'single ESE files (database, log, checkpoint; .gz accepted)')
      .option('--sign-key <file>', 'the HMAC key the sets were signed with: manifest.sig must be present and match'),
  ).action(
    act(async (out, opts, [sets]) =>
      verifyCommand(
        {
          sets: (sets as string[] | undefined) ?? [],
          files: (opts.file as string[] | undefined) ?? [],
          ...(opts.signKey !== undefined ? { signKeyFile: opts.signKey as string } : {}),
        },
        out,
      ),
    ),
  );

  common(
    program
      .command('restore')
      .description(
        'verify a full set (and the incrementals after it, in order), then restore it with the embedded engine into DIR and replay the logs',
      )
      .argument('<sets...>', 'the full set, then incremental sets')
      .requiredOption('--to <dir>', 'an empty or absent directory for the restored instance')
      .option('--sign-key <file>', 'the HMAC key the sets were signed with: each manifest.sig must be present and match')
      .option(
        '--engine <engine>',
        'embedded (default) or esent: JetExternalRestore2W, then JetInit and attach every database (one full set)',
      )
      .option('--esent-library <path>', 'esent: the esent.dll to load (default: the system one)'),
  ).action(
    act(async (out, opts, [sets]) => {
      const o = {
        sets: (sets as string[] | undefined) ?? [],
        to: opts.to as string,
        ...(opts.signKey !== undefined ? { signKeyFile: opts.signKey as string } : {}),
      };
      if (opts.engine === undefined || opts.engine === 'embedded') return restoreCommand(o, out);
      if (opts.engine !== 'esent') throw new UsageError(`restore --engine must be embedded or esent, got ${JSON.stringify(opts.engine)}`);
      return restoreEsentCommand({ ...o, ...(opts.esentLibrary ? { library: opts.esentLibrary as string } : {}) }, out);
    }),
  );

  common(
    program
      .command('clean')
      .description(
        'remove what killed backups and restores left in a directory (temporary directories, stale locks); committed sets and restore targets are never touched',
      )
      .argument('<dir>', 'the directory holding backup sets (or restore targets)'),
  ).action(act(async (out, _opts, [dir]) => cleanCommand(dir as string, out)));

  common(
    program
      .command('list')
      .description('the committed backup sets in a directory: mode, size, log generations, start time, verified or not')
      .argument('<dir>', 'the directory holding backup sets')
      .option('--no-verify', 'do not read the sets to verify them')
      .option('--sign-key <file>', 'the HMAC key the sets were signed with: each manifest.sig must be present and match'),
  ).action(
    act(async (out, opts, [dir]) =>
      listCommand(
        dir as string,
        { verify: opts.verify !== false, ...(opts.signKey !== undefined ? { signKeyFile: opts.signKey as string } : {}) },
        out,
      ),
    ),
  );

  const fleet = program
    .command('fleet')
    .description('stop, hold and watch backups on many hosts through a NATS JetStream server (docs/fleet.md)');
  // The NATS client loads only for the fleet commands.
  const fleetCommands = () => import('./fleet-command.js');
  const fleetOpts = (opts: Opts) => ({ ...fleetOf(opts, opts.nats)!, env: streams.env });
  const fleetCommand = (name: string, description: string) =>
    common(natsOptions(fleet.command(name).description(description), '--nats')).addHelpText(
      'after',
      '\nCredentials: --nats-creds FILE, or NATS_TOKEN, or NATS_USER and NATS_PASSWORD in the environment.',
    );
  fleetCommand('status', 'every node and instance: phase, progress, last outcome, stop reason; unreachable nodes marked')
    .option('--watch', 'redraw every second until Ctrl-C')
    .action(act(async (out, opts) => (await fleetCommands()).fleetStatusCommand({ ...fleetOpts(opts), watch: opts.watch === true }, out)));
  fleetCommand(
    'stop',
    'stop running backups (all, one --node, one --instance of a node); prints each acknowledgement; exit 0 all acknowledged, 1 some not within --wait',
  )
    .option('--node <name>', 'only this node')
    .option('--instance <name>', 'only this instance of --node')
    .option('--reason <text>', 'why (recorded as the stop reason)')
    .option('--by <who>', 'who asks (default user@host)')
    .option('--wait <duration>', 'how long to wait for acknowledgements (500ms, 10s, 2m)', parseDuration, 10_000)
    .action(
      act(async (out, opts) =>
        (await fleetCommands()).fleetStopCommand(
          {
            ...fleetOpts(opts),
            waitMs: opts.wait as number,
            ...(typeof opts.instance === 'string' ? { instance: opts.instance } : {}),
            ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}),
            ...(typeof opts.by === 'string' ? { by: opts.by } : {}),
          },
          out,
        ),
      ),
    );
  for (const release of [false, true]) {
    fleetCommand(
      release ? 'release' : 'hold',
      release
        ? 'lift a hold (fleet-wide, or --node)'
        : 'refuse new backups (Begin answers -523) fleet-wide or on --node until release; running backups go on',
    )
      .option('--node <name>', 'only this node')
      .option('--reason <text>', 'why')
      .option('--by <who>', 'who asks (default user@host)')
      .action(
        act(async (out, opts) =>
          (await fleetCommands()).fleetHoldCommand(
            {
              ...fleetOpts(opts),
              release,
              ...(typeof opts.reason === 'string' ? { reason: opts.reason } : {}),
              ...(typeof opts.by === 'string' ? { by: opts.by } : {}),
            },
            out,
          ),
        ),
      );
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // --help and --version exit 0; every parse error is a usage error.
    return e.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  }
  return code;
}
