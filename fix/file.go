package fix

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FileChange replaces a file's content. It is planned from a snapshot of the
// file and refuses to write if the file changed since (the user edited it
// while reading the plan, or another tool did).
type FileChange struct {
	Shown   string // the path as the user knows it (~/.ssh/config)
	Path    string // the file written: Shown with symlinks resolved
	Old     []byte
	Existed bool
	New     []byte
	Mode    fs.FileMode // kept from the old file; 0600 for a new one
	DirMode fs.FileMode // for a missing parent directory
	Now     func() time.Time
	Backup  string // set by Apply: where the old content was saved
	oldHash [32]byte
}

// snapshotFile reads path for planning. A symlink is followed and the
// write goes to its target (the link stays a link: dotfile managers keep
// working); via reports the target when there was a link.
func snapshotFile(shown string) (*FileChange, error) {
	fc := &FileChange{Shown: shown, Path: shown, Mode: 0o600, DirMode: 0o700, Now: time.Now}
	if target, err := filepath.EvalSymlinks(shown); err == nil {
		fc.Path = target
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("resolve %s: %w", shown, err)
	} else if l, lerr := os.Readlink(shown); lerr == nil {
		// A dangling link: write where it points, creating the file.
		if !filepath.IsAbs(l) {
			l = filepath.Join(filepath.Dir(shown), l)
		}
		fc.Path = l
	}
	data, err := os.ReadFile(fc.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", shown, err)
	default:
		fi, err := os.Stat(fc.Path)
		if err != nil {
			return nil, fmt.Errorf("stat %s: %w", shown, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, refuse("", "%s is not a regular file", shown)
		}
		fc.Old, fc.Existed, fc.Mode = data, true, fi.Mode().Perm()
		// Root may write a read-only file; the mode is the user's wish
		// regardless of who runs us.
		if fc.Mode&0o200 == 0 {
			return nil, refuse(fmt.Sprintf("make it writable (chmod u+w %s) and run the fix again, or make the change shown by --dry-run yourself", fc.Path),
				"%s is read-only (mode %04o)", shown, fc.Mode)
		}
	}
	fc.oldHash = sha256.Sum256(fc.Old)
	return fc, nil
}

// Symlinked reports whether the write goes through a symlink.
func (fc *FileChange) Symlinked() bool { return fc.Path != fc.Shown }

// Changed reports whether New differs from what is there.
func (fc *FileChange) Changed() bool { return !fc.Existed || !bytes.Equal(fc.Old, fc.New) }

func (fc *FileChange) Summary() string {
	if !fc.Existed {
		return "create " + fc.Shown
	}
	return "edit " + fc.Shown
}

func (fc *FileChange) Show(w io.Writer) {
	verb := "edit"
	if !fc.Existed {
		verb = fmt.Sprintf("create (mode %04o)", fc.Mode)
	}
	fmt.Fprintf(w, "%s %s\n", verb, fc.Shown)
	if fc.Symlinked() {
		fmt.Fprintf(w, "   (a symlink: the change is written to its target %s, the link stays)\n", fc.Path)
	}
	io.WriteString(w, indent(UnifiedDiff(fc.Shown, fc.Shown, fc.Old, fc.New, fc.Existed), "   "))
}

// ErrChangedSincePlan: the file is not what the plan was computed from.
var ErrChangedSincePlan = errors.New("the file changed after the plan was made; nothing was written, run the fix again to see a new plan")

// Apply writes New atomically: a temporary file in the same directory,
// fsync, rename over the old one, fsync the directory. The old content is
// first copied to a timestamped backup beside it.
func (fc *FileChange) Apply(ctx context.Context) error {
	dir := filepath.Dir(fc.Path)
	if err := os.MkdirAll(dir, fc.DirMode); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := fc.unchangedSincePlan(); err != nil {
		return err
	}
	backup := ""
	if fc.Existed {
		backup = fmt.Sprintf("%s.ssmdoctor-backup-%s", fc.Path, fc.Now().UTC().Format("20060102T150405.000000000Z"))
		if err := writeAtomic(backup, fc.Old, fc.Mode); err != nil {
			return fmt.Errorf("back up %s: %w", fc.Shown, err)
		}
	}
	// Checked again just before the rename: the window left is the rename
	// itself. A write that does not happen (another run won the race, or
	// the rename failed) leaves no backup behind: the backup exists only
	// beside a file that was written.
	if err := writeAtomicChecked(fc.Path, fc.New, fc.Mode, fc.unchangedSincePlan); err != nil {
		if backup != "" {
			os.Remove(backup)
		}
		return err
	}
	fc.Backup = backup
	return nil
}

func (fc *FileChange) unchangedSincePlan() error {
	data, err := os.ReadFile(fc.Path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("re-read %s: %w", fc.Shown, err)
	}
	if exists != fc.Existed || sha256.Sum256(data) != fc.oldHash {
		return fmt.Errorf("write %s: %w", fc.Shown, ErrChangedSincePlan)
	}
	return nil
}

func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	return writeAtomicChecked(path, data, mode, func() error { return nil })
}

func writeAtomicChecked(path string, data []byte, mode fs.FileMode, beforeRename func() error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".ssmdoctor-*")
	if err != nil {
		return fmt.Errorf("write %s: create temporary file: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	// CreateTemp makes 0600; Chmod (not the umask) decides the final mode.
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if err := beforeRename(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename over %s: %w", path, err)
	}
	done = true
	// The rename is durable only once the directory entry is.
	if d, err := os.Open(dir); err == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fmt.Errorf("fsync %s: %w", dir, serr)
		}
	}
	return nil
}
