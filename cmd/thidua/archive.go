package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"thidua/eventstore"
	"thidua/workflows"
)

// ArchiveCmd writes the stream to a file that an inspectorate can keep and check without
// thidua or NATS (eventstore.WriteArchive: JSON Lines, each message as stored, with the
// stream's digest up to it), or checks such a file (--check) without a store.
type ArchiveCmd struct {
	// Out is the file written ("-": standard output).
	Out string `short:"o" help:"Write the archive to FILE (- for standard output); it appears under its name only once whole." placeholder:"FILE"`
	// At is the last sequence archived, as seq:N (default: the stream's last).
	At *string `help:"The last stream sequence archived, as seq:N (an export states it). Default: the stream's last." placeholder:"seq:N"`
	// Check is an archive to check instead of writing one.
	Check string `help:"Check the archive FILE instead of writing one: every body against its SHA-256, every line's digest, the last line's count, lost sequences and digest. Needs no store; exit 1 naming the first line found wrong (or a digest of --expect not carried), 2 when the file cannot be read." placeholder:"FILE"`
	// Restore is an archive to make a new store from, in the data directory.
	Restore string `help:"Make a new store in the data directory (--data, which must not exist or be empty) from the archive FILE: every message at its sequence as archived, lost runs lost again, checked against the archive's digest; then explain, ranking, events and verify answer from it as from the stream archived. Documents are not in an archive. Exit 1 when the archive does not check, 2 when nothing could be done." placeholder:"FILE"`
	// Expect are digests recorded elsewhere that the archive checked must carry.
	Expect []string `help:"With --check or --restore: a digest recorded elsewhere (a ranking export, the council's minutes) that the archive must carry at its sequence, as seq:N=HEX; repeatable. Without one, the check shows only that the file agrees with itself." placeholder:"seq:N=HEX"`
	// JSON prints the archive's last line as JSON.
	JSON bool `help:"Print JSON: the archive's last line (messages, missing, stream_digest)."`
}

// Run writes or checks the archive.
func (c *ArchiveCmd) Run(ctx context.Context, g *Globals, logger *slog.Logger) error {
	switch {
	case c.Restore != "" && (c.Check != "" || c.Out != "" || c.At != nil):
		return usageError(errors.New("--restore makes a store from an archive; --check reads one, -o and --at write one: give one of them"))
	case c.Check != "" && (c.Out != "" || c.At != nil):
		return usageError(errors.New("--check reads an archive; -o and --at write one: give one or the other"))
	case c.Check == "" && c.Restore == "" && len(c.Expect) > 0:
		return usageError(errors.New("--expect goes with --check FILE or --restore FILE: it names a digest the archive must carry"))
	case c.Restore != "":
		return c.restore(ctx, g, logger)
	case c.Check != "":
		return c.check(g)
	case c.Out == "":
		return usageError(errors.New("give -o FILE (- for standard output) to write the archive, or --check FILE to check one"))
	}
	seq, err := seqFlag(c.At, "an archive ends at a sequence, which an export states")
	if err != nil {
		return err
	}
	store, err := g.openStore(ctx, logger, eventstore.WithReadOnly())
	if err != nil {
		return err
	}
	defer store.Close()
	if c.Out == "-" {
		end, err := store.WriteArchive(ctx, g.Out, seq, time.Now())
		if err != nil {
			return archiveErr(err, seq)
		}
		logger.Info("archive written", "messages", end.Messages, "seq", end.StreamDigest.Seq, "digest", end.StreamDigest.Hex())
		return nil
	}
	var end eventstore.ArchiveEnd
	// Only its reader's: it holds every user's record.
	err = writeWhole(c.Out, 0o600, func(w io.Writer) (err error) {
		end, err = store.WriteArchive(ctx, w, seq, time.Now())
		return err
	})
	if err != nil {
		return archiveErr(err, seq)
	}
	if c.JSON {
		return printJSON(g.Out, end)
	}
	fmt.Fprintf(g.Out, "Lưu trữ luồng sự kiện / stream archive: %s\n", c.Out)
	printArchiveEnd(g, end)
	return nil
}

// writeWhole writes a file of mode through write beside path, syncs it and renames it to
// path once whole: a file under the name is a whole one, never one cut short by a full disk or
// an interrupt. An existing path that is not a regular file (/dev/null, a tape, a FIFO to
// a compressor) is written as it is: a rename would replace it (run as root, `archive -o
// /dev/null` replaced /dev/null). A symbolic link is followed, so that the file it names
// is the one replaced and the link stays.
func writeWhole(path string, mode os.FileMode, write func(io.Writer) error) error {
	// A pipe or a device is asked first, through whatever links lead to it, as the kernel
	// follows them: /dev/stdout's link into /proc names a pipe as "pipe:[N]", which
	// followLinks took for a file beside it (a review finding: -o /dev/stdout into a
	// pipe failed).
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return writeInPlace(path, write)
	}
	path, err := followLinks(path)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return writeInPlace(path, write)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// Named as typed, not as the temporary file beside it.
			return &fs.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err = writeChecked(tmp, write)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeInPlace writes to what path names as it is (a pipe, a device), without a
// temporary file.
func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	err = writeChecked(f, write)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeChecked runs write into w and returns its error, or else the first error a write
// into w met: a writer that prints without looking at each write's error (a table) fails
// all the same when the disk is full (a review finding: ranking -o to a full disk exited
// 0, and renamed an empty file over the old one).
func writeChecked(w io.Writer, write func(io.Writer) error) error {
	ow := &outWriter{w: w}
	if err := write(ow); err != nil {
		return err
	}
	return ow.err
}

// followLinks returns the file that path names once its symbolic links are followed, as
// the kernel follows them: the target of a link, or the path itself when it is no link. A
// link whose target does not exist yet names that target, so that writing creates it. A
// relative target is taken from the link's real directory (through a linked directory,
// "../x" is not where the path's text says). A loop of links is an error, as for the
// kernel.
func followLinks(path string) (string, error) {
	for range 40 { // the kernel's own limit on links followed
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return path, nil
		}
		if !filepath.IsAbs(to) {
			dir, err := filepath.EvalSymlinks(filepath.Dir(path))
			if err != nil {
				return "", err
			}
			to = filepath.Join(dir, to)
		}
		path = to
	}
	return "", &fs.PathError{Op: "open", Path: path, Err: syscall.ELOOP}
}

// expectation is a digest recorded elsewhere that an archive must carry (--expect).
type expectation struct {
	seq  uint64
	hex  string
	got  string
	seen bool
}

// restore makes a new embedded store in the data directory from the archive c.Restore,
// which must carry the digests of --expect: checked in the one read that restores it (a
// review finding: checked in a first read, the file restored by a second could be
// another).
func (c *ArchiveCmd) restore(ctx context.Context, g *Globals, logger *slog.Logger) error {
	if g.NATS != "" {
		return usageError(errors.New("--restore makes a new embedded store in --data; it does not write into a NATS server (restore there with NATS's own tools)"))
	}
	exps, err := c.expectations()
	if err != nil {
		return err
	}
	f, err := os.Open(c.Restore)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	opts := []eventstore.Option{eventstore.WithLogger(logger), eventstore.WithRegistry(workflows.EventRegistry())}
	if g.StorageLimitMiB > 0 {
		opts = append(opts, eventstore.WithStorageLimit(g.StorageLimitMiB<<20))
	}
	each, carried := exps.track()
	h, end, err := eventstore.RestoreArchive(ctx, g.Data, f, eventstore.RestoreHooks{Each: each,
		Accept: func(h eventstore.ArchiveHeader, _ eventstore.ArchiveEnd) error { return carried(c.Restore, h) }}, opts...)
	var ee exitError
	switch {
	case errors.As(err, &ee):
		return exitError{code: ee.code, err: fmt.Errorf("%w (nothing was restored)", ee.err)}
	case errors.As(err, new(*eventstore.ArchiveError)) || errors.Is(err, eventstore.ErrRestoredDiffers):
		return exitError{code: 1, err: fmt.Errorf("%s: %w (nothing was restored)", c.Restore, err)}
	case err != nil:
		return fmt.Errorf("%s: %w (nothing was restored)", c.Restore, err)
	}
	if c.JSON {
		return printJSON(g.Out, end)
	}
	fmt.Fprintf(g.Out, "Đã khôi phục từ lưu trữ / restored from the archive %s (stream %s, written %s) into %s\n", c.Restore, h.Stream, h.Written.Format(time.RFC3339), g.Data)
	printArchiveEnd(g, end)
	for _, x := range exps {
		fmt.Fprintf(g.Out, "Khớp mã niêm phong đã ghi ở seq %d / carries the digest recorded at sequence %d\n", x.seq, x.seq)
	}
	fmt.Fprintln(g.Out, "What a restore cannot bring back / điều khôi phục không mang lại được:")
	fmt.Fprintln(g.Out, "- the documents, which an archive does not hold: thidua verify --without-documents checks the rest (without it, each cited document is named missing);")
	fmt.Fprintln(g.Out, "- JetStream's time of each message: every message is stored anew, so verify counts every event as recorded before its storage, and a forward-dated one is no longer told apart;")
	fmt.Fprintln(g.Out, "- the marks of an atomic append's messages: a moment inside such an append (between its first and last message) shows it in part; the sequences exports and minutes state are an append's last.")
	return nil
}

// check reads and checks the archive c.Check, and the digests it must carry, and says so.
func (c *ArchiveCmd) check(g *Globals) error {
	h, end, exps, err := c.checked(c.Check)
	if err != nil {
		return err
	}
	if c.JSON {
		return printJSON(g.Out, end)
	}
	fmt.Fprintf(g.Out, "Lưu trữ hợp lệ / archive checked: %s (stream %s, written %s)\n", c.Check, h.Stream, h.Written.Format(time.RFC3339))
	printArchiveEnd(g, end)
	for _, x := range exps {
		fmt.Fprintf(g.Out, "Khớp mã niêm phong đã ghi ở seq %d / carries the digest recorded at sequence %d\n", x.seq, x.seq)
	}
	if len(exps) == 0 {
		fmt.Fprintln(g.Out, "Chưa đối chiếu với mã niêm phong ghi ở nơi khác (--expect) / not compared with a digest recorded elsewhere (--expect): this shows only that the file agrees with itself")
	}
	return nil
}

// expectations are the digests of --expect, read from the flags.
type expectations []*expectation

// expectations reads --expect.
func (c *ArchiveCmd) expectations() (expectations, error) {
	exps := make(expectations, 0, len(c.Expect))
	for _, v := range c.Expect {
		s, hexSum, ok := strings.Cut(v, "=")
		n, err := parseSeqFlag(s, "")
		if !ok || err != nil || len(hexSum) != 64 || strings.Trim(strings.ToLower(hexSum), "0123456789abcdef") != "" {
			return nil, usageError(fmt.Errorf("--expect %q: give seq:N=HEX, a stream sequence and the 64 hex digits of the digest recorded for it", v))
		}
		exps = append(exps, &expectation{seq: n, hex: strings.ToLower(hexSum)})
	}
	return exps, nil
}

// track returns what hears each message line of an archive as it is read, and what then
// tells whether the archive (at path, whose header is h) carried every digest expected.
func (exps expectations) track() (func(eventstore.ArchiveMessage), func(path string, h eventstore.ArchiveHeader) error) {
	// The digest at N is the one after the last message at or before N: a sequence lost
	// adds nothing.
	prev := eventstore.Digest{}.Hex()
	each := func(m eventstore.ArchiveMessage) {
		for _, x := range exps {
			if !x.seen && x.seq < m.Seq {
				x.got, x.seen = prev, true
			}
		}
		prev = m.Digest
	}
	carried := func(path string, h eventstore.ArchiveHeader) error {
		for _, x := range exps {
			if !x.seen && x.seq <= h.Until {
				x.got, x.seen = prev, true
			}
			switch {
			case !x.seen:
				return exitError{code: 1, err: fmt.Errorf("%s ends at sequence %d: it cannot show the digest recorded for %d", path, h.Until, x.seq)}
			case x.got != x.hex:
				return exitError{code: 1, err: fmt.Errorf("%s carries %s at sequence %d, where the record says %s: this is not the stream that record sealed", path, x.got, x.seq, x.hex)}
			}
		}
		return nil
	}
	return each, carried
}

// checked reads and checks the archive at path, and the digests of --expect it must carry.
func (c *ArchiveCmd) checked(path string) (eventstore.ArchiveHeader, eventstore.ArchiveEnd, expectations, error) {
	exps, err := c.expectations()
	if err != nil {
		return eventstore.ArchiveHeader{}, eventstore.ArchiveEnd{}, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return eventstore.ArchiveHeader{}, eventstore.ArchiveEnd{}, nil, fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	each, carried := exps.track()
	h, end, err := eventstore.ReadArchive(f, each)
	if ae := (*eventstore.ArchiveError)(nil); errors.As(err, &ae) {
		return h, end, nil, exitError{code: 1, err: fmt.Errorf("%s: %w", path, err)}
	}
	if err != nil {
		return h, end, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := carried(path, h); err != nil {
		return h, end, nil, err
	}
	return h, end, exps, nil
}

// printArchiveEnd prints what an archive's last line says.
func printArchiveEnd(g *Globals, end eventstore.ArchiveEnd) {
	fmt.Fprintf(g.Out, "Số bản ghi / messages: %d, đến seq / up to sequence %d\n", end.Messages, end.StreamDigest.Seq)
	if len(end.Missing) > 0 {
		runs := make([]string, 0, len(end.Missing))
		for _, r := range end.Missing {
			if r[0] == r[1] {
				runs = append(runs, strconv.FormatUint(r[0], 10))
			} else {
				runs = append(runs, fmt.Sprintf("%d–%d", r[0], r[1]))
			}
		}
		fmt.Fprintf(g.Out, "Số thứ tự luồng không còn giữ / sequences the stream no longer holds: %s\n", strings.Join(runs, ", "))
	}
	fmt.Fprintf(g.Out, "Mã niêm phong luồng sự kiện / stream digest (SHA-256):\n%s\n", end.StreamDigest.Hex())
}

// archiveErr words a failed write of an archive up to seq.
func archiveErr(err error, seq uint64) error {
	if errors.Is(err, eventstore.ErrPastEnd) {
		return fmt.Errorf("--at seq:%d is past the stream's last sequence: %w", seq, err)
	}
	return err
}

// seqFlag reads an optional --at seq:N (parseSeqFlag): 0 when not given. Given empty, it
// is refused, as ?at= is (before, --at "" meant the stream's end).
func seqFlag(at *string, why string) (uint64, error) {
	if at == nil {
		return 0, nil
	}
	return parseSeqFlag(*at, why)
}

// parseSeqFlag reads a flag's seq:N (a positive stream sequence), refusing anything else
// with why a sequence is asked for.
func parseSeqFlag(v, why string) (uint64, error) {
	s, ok := strings.CutPrefix(v, "seq:")
	n, err := strconv.ParseUint(s, 10, 64)
	if !ok || err != nil || n == 0 {
		return 0, usageError(fmt.Errorf("--at %q: give seq:N, a positive stream sequence (%s)", v, why))
	}
	return n, nil
}
