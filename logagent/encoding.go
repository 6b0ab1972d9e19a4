package logagent

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// textDecoder turns one raw line into valid UTF-8. Kafka and Elasticsearch
// reject or mangle invalid UTF-8, so nothing leaves the framer without passing
// through it.
type textDecoder struct {
	t   transform.Transformer // nil: the file is UTF-8 already
	buf []byte                // reused output for lines that need converting
}

// newTextDecoder maps a FramerConfig.Encoding name to a decoder.
func newTextDecoder(name string) (*textDecoder, error) {
	switch strings.ToLower(name) {
	case "", "utf-8", "utf8":
		return &textDecoder{}, nil
	case "gbk":
		return &textDecoder{t: simplifiedchinese.GBK.NewDecoder()}, nil
	case "gb18030":
		return &textDecoder{t: simplifiedchinese.GB18030.NewDecoder()}, nil
	}
	return nil, fmt.Errorf("unknown encoding %q (want utf-8, gbk or gb18030)", name)
}

// decode returns raw as valid UTF-8 of at most limit bytes and whether it had
// to cut. cut says raw was already cut from a longer line, so a character
// split by that cut is dropped rather than turned into U+FFFD. The result
// aliases raw or d.buf and is valid until the next call.
func (d *textDecoder) decode(raw []byte, cut bool, limit int) ([]byte, bool) {
	var out []byte
	switch {
	case d.t != nil:
		out = d.transform(raw, !cut)
	case cut:
		raw = trimPartialRune(raw)
		fallthrough
	default:
		// NOTE: the fast path: almost every line is valid and is returned
		// without a copy.
		if utf8.Valid(raw) {
			out = raw
		} else {
			d.buf = appendValidUTF8(d.buf[:0], raw)
			out = d.buf
		}
	}
	if len(out) > limit {
		return capUTF8(out, limit), true
	}
	return out, cut
}

// transform runs the charset decoder over raw. With atEOF false an
// incomplete trailing multibyte character is dropped (ErrShortSrc).
func (d *textDecoder) transform(raw []byte, atEOF bool) []byte {
	d.t.Reset()
	// A GBK byte never becomes more than 3 UTF-8 bytes (an invalid byte turns
	// into U+FFFD), so one Transform call normally suffices.
	if need := 3*len(raw) + utf8.UTFMax; cap(d.buf) < need {
		d.buf = make([]byte, need)
	}
	dst := d.buf[:cap(d.buf)]
	n := 0
	for {
		nDst, nSrc, err := d.t.Transform(dst[n:], raw, atEOF)
		n += nDst
		raw = raw[nSrc:]
		if err != transform.ErrShortDst {
			break
		}
		dst = append(dst, make([]byte, len(dst))...)
	}
	d.buf = dst
	return dst[:n]
}

// appendValidUTF8 appends s to dst with each run of invalid bytes replaced by
// one U+FFFD, as strings.ToValidUTF8 does, but into a reused buffer.
func appendValidUTF8(dst, s []byte) []byte {
	start, invalid := 0, false // s[start:i] is valid and not yet appended
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			invalid = false
			continue
		}
		_, w := utf8.DecodeRune(s[i:])
		if w > 1 {
			i += w
			invalid = false
			continue
		}
		dst = append(dst, s[start:i]...)
		if !invalid {
			dst = append(dst, "\uFFFD"...)
			invalid = true
		}
		i++
		start = i
	}
	return append(dst, s[start:]...)
}

// capUTF8 cuts valid UTF-8 b to at most limit bytes without splitting a
// character.
func capUTF8(b []byte, limit int) []byte {
	if len(b) <= limit {
		return b
	}
	n := limit
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b, left
// there by cutting a longer line at a byte count.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
