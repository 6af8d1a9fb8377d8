// Command thidua is the one binary of the thidua engine: the HTTP API and web UI
// (serve), and the auditor's and operator's commands (explain, ranking, events, replay,
// verify, bench).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	// The campaigns' time zone (Asia/Ho_Chi_Minh) resolves on a host without tzdata (a
	// slim container): without it, the built-in campaign's definition would not validate.
	_ "time/tzdata"

	"github.com/alecthomas/kong"

	"thidua/cmd/thidua/bench"
	"thidua/eventstore"
	"thidua/workflows"
)

// Globals are the flags every command takes.
type Globals struct {
	Data     string `help:"Data directory: the embedded store's, or with --nats where the projections' snapshot is kept (default: ./data)." default:"./data" env:"THIDUA_DATA" placeholder:"DIR"`
	NATS     string `name:"nats" help:"URL(s) of an external NATS server or cluster, comma-separated (instead of the embedded store)." env:"THIDUA_NATS_URL" placeholder:"URL"`
	Replicas int    `help:"Replica count of the stream and the document bucket on an external cluster." default:"0" env:"THIDUA_REPLICAS"`
	LogLevel string `help:"Log level (debug, info, warn, error; or slog's levels, such as warn+2)." default:"info" env:"THIDUA_LOG_LEVEL"`
	// StorageLimitMiB caps the embedded store (0: what it holds plus the disk's free space, less a reserve).
	StorageLimitMiB int64 `name:"storage-limit-mib" help:"Storage limit of the embedded store in MiB (0: what it holds plus the disk's free space, less 5 % or 1 GiB)." default:"0" env:"THIDUA_STORAGE_LIMIT_MIB"`

	// Out receives the commands' output (standard output; a buffer in tests).
	Out io.Writer `kong:"-"`
}

// CLI is the command line.
type CLI struct {
	Globals
	Serve   ServeCmd   `cmd:"" help:"Run the HTTP API and web UI."`
	Explain ExplainCmd `cmd:"" help:"Explain a nomination's eligibility, with the reasons and the events behind them."`
	Ranking RankingCmd `cmd:"" help:"Print a campaign's ranking."`
	Events  EventsCmd  `cmd:"" help:"Print the audit trail of a unit, a nomination or a campaign (give one of --unit, --nomination and --campaign)."`
	Replay  ReplayCmd  `cmd:"" help:"Rebuild every projection from the stream, with progress."`
	Verify  VerifyCmd  `cmd:"" help:"Verify the hash chains and the document hashes; exit 1 naming what is broken."`
	Digest  DigestCmd  `cmd:"" help:"Print the stream's digest up to a sequence, from the stream alone: check the one an export or the council's minutes state."`
	// Archive writes the stream to a file an inspectorate keeps, or checks one.
	Archive ArchiveCmd `cmd:"" help:"Write the stream to a file an inspectorate can keep and check without thidua (JSON Lines, each message as stored with the stream's digest up to it), or check one (--check)."`
	// ReissueToken is the operator's way back in when an administrator's token is lost.
	ReissueToken ReissueTokenCmd `cmd:"" name:"reissue-token" help:"Give a user a new token in place of a lost one (the old one stops working); prints it once. For an administrator's lost token."`
	Bench        BenchCmd        `cmd:"" help:"Measure thidua against raw JetStream in the same run; writes bench-results.json."`
}

// BenchCmd runs the benchmark suite.
type BenchCmd struct {
	Scale float64 `help:"Workload size relative to the default (1: 100,000 nominations over 20,000 units, 1,000,000 events); at least 0.1." default:"1"`
	Out   string  `help:"Where to write the JSON results." default:"bench-results.json"`
	Dir   string  `help:"Scratch directory for the benchmark stores (default: a temporary directory)."`
	// Keep keeps the run's data directory.
	Keep bool `help:"Keep the run's data directory (stream and snapshot) and print where it is."`
	// LoadOnly keeps the generated store for profiling other commands on it.
	LoadOnly string `name:"load-only" help:"Only generate the workload and bulk-load it into this data directory (kept), then stop: a store to run replay, serve or verify on." placeholder:"DIR"`
	// ReadOnly measures one read of an existing store in this process.
	ReadOnly string `name:"read-only" help:"Only measure one read of this data directory's stream in this process (--read), and print it as JSON: how the bench measures the rebuild and the raw read in processes of their own." placeholder:"DIR"`
	// Read is the mode of --read-only.
	Read string `help:"With --read-only: raw (one raw ordered consumer), rebuild (every projection), or one of the rebuild's stages: decode (envelopes, payloads and content hashes) or fold (decode, then fold into current states only)." enum:"raw,rebuild,decode,fold" default:"rebuild"`
}

// Run runs the suite.
func (c *BenchCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	if err := c.check(); err != nil {
		return err
	}
	return bench.Run(ctx, bench.Config{Scale: c.Scale, Out: c.Out, Dir: c.Dir, LoadOnly: c.LoadOnly, Keep: c.Keep,
		ReadOnly: c.ReadOnly, Read: c.Read}, g.Out)
}

// check refuses flags that do not go together, and a --load-only directory that is not
// empty: the bulk load writes synthetic units, campaigns and nominations into the stream,
// which can never be taken out of it (a review finding: --load-only on a real data
// directory ranked 10,000 synthetic nominations above the province's for good).
func (c *BenchCmd) check() error {
	switch {
	case c.ReadOnly != "" && c.LoadOnly != "":
		return usageError(errors.New("--load-only and --read-only do not go together: load a store first, then measure a read of it"))
	case c.Read != "rebuild" && c.ReadOnly == "":
		return usageError(fmt.Errorf("--read %s goes with --read-only DIR, the store whose read it measures", c.Read))
	case c.LoadOnly != "":
		entries, err := os.ReadDir(c.LoadOnly)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return usageError(fmt.Errorf("--load-only %s: %w", c.LoadOnly, err))
		}
		if len(entries) > 0 {
			return usageError(fmt.Errorf("--load-only %s: the directory is not empty: the bulk load writes synthetic events that can never be taken out of a store, so it only loads into a new or empty directory", c.LoadOnly))
		}
	}
	return nil
}

// exitBrokenPipe is the exit status when the output's reader went away: 128 + 13, what a
// shell reports for a process SIGPIPE ended.
const exitBrokenPipe = 141

// unsetEmptyEnv unsets the THIDUA_ variables set to nothing but blanks, and returns their
// names: each then takes its default, as if unset, which is what a deployment template
// that leaves one empty means (a review finding: THIDUA_ADDR= made serve listen on every
// interface at a random port, THIDUA_DATA= took the current directory, and
// THIDUA_LOG_LEVEL= failed every command).
func unsetEmptyEnv() []string {
	var names []string
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "THIDUA_") && strings.TrimSpace(value) == "" {
			_ = os.Unsetenv(name)
			names = append(names, name)
		}
	}
	return names
}

func main() {
	unsetEmptyEnv()
	var cli CLI
	parser := kong.Must(&cli,
		kong.Name("thidua"),
		kong.Description("Event-sourced workflow engine for emulation and commendation (thi đua, khen thưởng)."),
		kong.UsageOnError(),
	)
	kctx, err := parser.Parse(helpArgs(os.Args[1:]))
	var coded kong.ExitCoder
	if err != nil && (!errors.As(err, &coded) || coded.ExitCode() == 1) {
		// kong gives the errors it meets reading the environment (THIDUA_REPLICAS=3x) no
		// status of their own: they exited 1, the status verify gives a broken chain (a
		// review finding).
		err = parseError{err}
	}
	parser.FatalIfErrorf(err)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A reader that goes away (thidua events | head) makes a write fail with EPIPE rather
	// than kill the process: the command then ends as any other, closing its store (a
	// read-only directory's copy is removed then), and exits quietly below.
	signal.Ignore(syscall.SIGPIPE)
	out := &outWriter{w: os.Stdout}
	cli.Out = out
	logger, err := newLogger(cli.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "thidua:", err)
		os.Exit(exitUsage)
	}
	slog.SetDefault(logger)
	kctx.BindTo(ctx, (*context.Context)(nil))
	err = kctx.Run(&cli.Globals, logger)
	if errors.Is(out.err, syscall.EPIPE) || errors.Is(err, syscall.EPIPE) {
		// The reader stopped reading, as head does: what it wanted, it had. The status
		// is a shell's for a process a broken pipe ended (128 + SIGPIPE).
		os.Exit(exitBrokenPipe)
	}
	if out.err != nil {
		// A report cut short (a full disk, say) is no success, whatever the command
		// found: before, a table or a verify report written to a full disk exited 0.
		// What the command said of it comes first (reissue-token's: the old token no
		// longer works, run it again).
		var ee exitError
		if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
			fmt.Fprintln(os.Stderr, "thidua:", err)
		}
		fmt.Fprintln(os.Stderr, "thidua: writing the output:", out.err)
		os.Exit(2)
	}
	if err != nil {
		code := exitCode(err)
		var ee exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(os.Stderr, "thidua:", err)
		}
		os.Exit(code)
	}
}

// helpArgs reads "thidua help" as "thidua --help" and "thidua help verify" as
// "thidua verify --help", as operators type them; any other arguments are kept.
func helpArgs(args []string) []string {
	if len(args) == 0 || args[0] != "help" {
		return args
	}
	return append(slices.Clone(args[1:]), "--help")
}

// outWriter is the commands' standard output, keeping its first write error so that the
// process does not end in success with its output cut short.
type outWriter struct {
	w   io.Writer
	err error
}

// Write writes p, or fails with the first error a write met.
func (o *outWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}

// exitCode is the process's exit status for a command's error: the status a command
// chose (exitError, however wrapped: `thidua verify` exits 1 naming what is broken), 2
// for any other failure.
func exitCode(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2
}

// exitUsage is the exit status of a command line in error, as kong exits for the errors
// its parser finds (an unknown flag, a value not among a flag's choices).
const exitUsage = 80

// parseError is an error of the command line kong found without giving it a status: it
// exits exitUsage, as the others do.
type parseError struct{ err error }

func (e parseError) Error() string { return e.err.Error() }
func (e parseError) Unwrap() error { return e.err }

// ExitCode is exitUsage.
func (e parseError) ExitCode() int { return exitUsage }

// usageError marks err as an error of the command line that only the command could see
// (a malformed --at, flags that do not go together): the process exits exitUsage.
func usageError(err error) error { return exitError{code: exitUsage, err: err} }

// exitError ends the process with a status code, after the command printed its report
// (err nil) or with err printed (`thidua archive --check` exits 1 naming the line found
// wrong, as verify does what is broken; 2 is for what could not be checked).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// Unwrap returns the error printed, if any.
func (e exitError) Unwrap() error { return e.err }

// newLogger returns the logger at that level; an unknown level is an error (before, it
// was taken as info without a word).
func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: give debug, info, warn or error (or slog's forms, such as warn+2): %w", level, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// openStore opens the embedded store or connects to the external cluster.
func (g *Globals) openStore(ctx context.Context, logger *slog.Logger, extra ...eventstore.Option) (*eventstore.Store, error) {
	opts := []eventstore.Option{eventstore.WithLogger(logger), eventstore.WithRegistry(workflows.EventRegistry())}
	if g.NATS != "" {
		opts = append(opts, eventstore.WithURL(g.NATS))
		if g.Replicas > 0 {
			opts = append(opts, eventstore.WithReplicas(g.Replicas))
		}
	} else {
		opts = append(opts, eventstore.WithDataDir(g.Data))
		if g.StorageLimitMiB > 0 {
			opts = append(opts, eventstore.WithStorageLimit(g.StorageLimitMiB<<20))
		}
	}
	return eventstore.Open(ctx, append(opts, extra...)...)
}
