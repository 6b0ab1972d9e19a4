// Package atomicfile writes a file so that a crash at any moment leaves either
// the old content or the new, never a torn mix. Both the agent's positions and
// the daemons' cached etcd snapshots depend on it.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Write replaces path with data: temp file in the same directory, fsync,
// rename over path, fsync of the directory so the rename itself is durable.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	tmp := f.Name()
	if err := writeTemp(f, data, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing dir %s: %w", dir, err)
	}
	return nil
}

// writeTemp fills and closes the temp file f. The agent writes its positions
// and time anchors every second: a chmod to the mode CreateTemp already gave
// (0600) and a remove of a renamed file were two of ten syscalls per write.
func writeTemp(f *os.File, data []byte, perm os.FileMode) error {
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if perm != 0o600 { // CreateTemp's mode
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return fmt.Errorf("chmod %s: %w", tmp, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	return nil
}
