package csvfile

import (
	"encoding/csv"
	"io"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Writer writes an export spreadsheets open correctly: UTF-8 with a
// byte-order mark (Excel shows Chinese names garbled without one) unless
// GB18030 is asked for, for older tools; every cell escaped (see Escape).
type Writer struct {
	cw  *csv.Writer
	enc io.WriteCloser // the GB18030 encoder, flushed by Flush
	err error
}

// NewWriter starts an export in enc (Detect means UTF-8).
func NewWriter(w io.Writer, enc Encoding) *Writer {
	x := &Writer{}
	if enc == GB18030 {
		x.enc = transform.NewWriter(w, simplifiedchinese.GB18030.NewEncoder())
		x.cw = csv.NewWriter(x.enc)
		return x
	}
	_, x.err = w.Write(utf8BOM)
	x.cw = csv.NewWriter(w)
	return x
}

// Write writes one row, escaping each cell.
func (w *Writer) Write(cells []string) error {
	if w.err != nil {
		return w.err
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = Escape(c)
	}
	return w.cw.Write(out)
}

// Flush writes what is buffered and reports any error of the export.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return err
	}
	if w.enc != nil {
		return w.enc.Close()
	}
	return nil
}
