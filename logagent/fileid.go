package logagent

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"syscall"
)

// fingerprintMax caps how many leading bytes identify a file's content.
const fingerprintMax = 1024

// devIno is where a file lives on disk. It survives renames but not copies,
// and the kernel reuses it after a delete: alone it cannot identify a file.
type devIno struct{ Dev, Ino uint64 }

func statDevIno(fi os.FileInfo) devIno {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return devIno{}
	}
	return devIno{Dev: uint64(st.Dev), Ino: st.Ino} //nolint:unconvert // Dev is int32/uint64 by platform
}

// fileIdentity identifies one file for positions and record ids: its
// device/inode plus a fingerprint of its first line (at most fingerprintMax
// bytes). A renamed file keeps it; a reused inode or a file truncated and
// rewritten with other content gets a new one.
type fileIdentity struct {
	devIno
	FP    string // hex SHA-256 prefix of the first FPLen bytes
	FPLen int
}

// key is the registry key of the identity.
func (id fileIdentity) key() string {
	return fmt.Sprintf("%d:%d:%s", id.Dev, id.Ino, id.FP)
}

// identify reads the fingerprint of f. ok is false while the file has no
// complete first line and fewer than fingerprintMax bytes: such a file has
// nothing to ship yet and its identity is not settled.
func identify(f *os.File) (fileIdentity, bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileIdentity{}, false, err
	}
	var buf [fingerprintMax]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && err != io.EOF {
		return fileIdentity{}, false, err
	}
	head := buf[:n]
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i+1]
	} else if n < fingerprintMax {
		return fileIdentity{}, false, nil
	}
	sum := sha256.Sum256(head)
	return fileIdentity{devIno: statDevIno(fi), FP: hex.EncodeToString(sum[:12]), FPLen: len(head)}, true, nil
}

// sameContent reports whether f still starts with the bytes id was made from.
// It catches a file truncated and rewritten past our read offset, which its
// size alone cannot show.
func (id fileIdentity) sameContent(f *os.File) (bool, error) {
	buf := make([]byte, id.FPLen)
	n, err := f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return false, err
	}
	if n < id.FPLen {
		return false, nil
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:12]) == id.FP, nil
}

// recordFileID is the id of one generation of a file as seen by agent: the
// prefix of every record id (lp.id = fileID-offset) and the Kafka key. It
// depends only on things that survive a restart, so a re-read line gets the
// id it had, and Elasticsearch's create-only writes drop the copy.
func recordFileID(agent string, id fileIdentity, gen int) string {
	h := sha256.New()
	var b [8]byte
	h.Write([]byte(agent))
	h.Write([]byte{0})
	binary.BigEndian.PutUint64(b[:], id.Dev)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], id.Ino)
	h.Write(b[:])
	h.Write([]byte(id.FP))
	binary.BigEndian.PutUint64(b[:], uint64(gen))
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil)[:10])
}
