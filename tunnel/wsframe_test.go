package tunnel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/coder/websocket"
)

func TestMaskBytesMatchesBytewise(t *testing.T) {
	key := uint32(0xa1b2c3d4)
	var wire [4]byte
	binary.LittleEndian.PutUint32(wire[:], key)
	for n := 0; n < 40; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		want := append([]byte(nil), p...)
		for i := range want {
			want[i] ^= wire[i%4]
		}
		maskBytes(p, key)
		if !bytes.Equal(p, want) {
			t.Fatalf("n=%d: got %x, want %x", n, p, want)
		}
	}
}

// Every payload length class of RFC 6455, section 5.2 (7-bit, 16-bit, 64-bit),
// empty included.
var wsSizes = []int{0, 1, 125, 126, 1024, 0xffff, 0x10000, 70000}

func wsPayload(n, seed int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31 + seed)
	}
	return p
}

// Client frames written by WriteBinary, held and not, mixed with
// coder/websocket's own messages, reach a coder/websocket server intact
// and in order.
func TestWriteBinaryClientToServer(t *testing.T) {
	got := make(chan []byte, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for {
			typ, p, err := c.Read(context.Background())
			if err != nil {
				close(got)
				return
			}
			if typ == websocket.MessageText {
				p = append([]byte("text:"), p...)
			}
			got <- p
		}
	}))
	defer srv.Close()
	var cork *CorkedConn
	c, _, err := websocket.Dial(context.Background(), "ws"+srv.URL[len("http"):], &websocket.DialOptions{HTTPClient: corkingClient(srv.Client(), mustURL(srv.URL), &cork)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var want [][]byte
	for i, n := range wsSizes {
		p := wsPayload(n, i)
		want = append(want, p)
		if err := cork.WriteBinary(append([]byte(nil), p...)); err != nil {
			t.Fatal(err)
		}
	}
	cork.Hold()
	for i, n := range wsSizes {
		p := wsPayload(n, 100+i)
		want = append(want, p)
		if err := cork.WriteBinary(p); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			// coder/websocket's own write joins the batch in order.
			if err := c.Write(context.Background(), websocket.MessageText, []byte("mid")); err != nil {
				t.Fatal(err)
			}
			want = append(want, []byte("text:mid"))
		}
	}
	if err := cork.Release(); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		p, ok := <-got
		if !ok {
			t.Fatalf("server stopped reading at message %d", i)
		}
		if !bytes.Equal(p, w) {
			t.Fatalf("message %d: %d bytes, want %d (%.16x vs %.16x)", i, len(p), len(w), p, w)
		}
	}
}

// serverCork hands coder/websocket's server a CorkedConn, as the
// simulator does.
type serverCork struct {
	http.ResponseWriter
	cork *CorkedConn
}

func (h *serverCork) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.cork = NewCorkedConn(c)
	h.cork.CarriesFrames(false)
	return h.cork, bufio.NewReadWriter(brw.Reader, bufio.NewWriter(h.cork)), nil
}

// Server frames (unmasked) reach a coder/websocket client intact.
func TestWriteBinaryServerToClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := &serverCork{ResponseWriter: w}
		c, err := websocket.Accept(h, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.CloseNow()
		h.cork.Hold()
		for i, n := range wsSizes {
			if err := h.cork.WriteBinary(wsPayload(n, i)); err != nil {
				t.Errorf("write: %v", err)
			}
		}
		if err := h.cork.Release(); err != nil {
			t.Errorf("release: %v", err)
		}
		c.Read(context.Background()) // until the client closes
	}))
	defer srv.Close()
	c, _, err := websocket.Dial(context.Background(), "ws"+srv.URL[len("http"):], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for i, n := range wsSizes {
		typ, p, err := c.Read(context.Background())
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if typ != websocket.MessageBinary || !bytes.Equal(p, wsPayload(n, i)) {
			t.Fatalf("message %d: type %v, %d bytes, want %d", i, typ, len(p), n)
		}
	}
}

// After a failed write nothing more goes out: the peer could not find
// the next frame's start.
func TestWriteBinaryAfterFailure(t *testing.T) {
	a, b := net.Pipe()
	b.Close()
	c := NewCorkedConn(a)
	c.CarriesFrames(true)
	if err := c.WriteBinary([]byte("x")); err == nil {
		t.Fatal("write to a closed pipe succeeded")
	}
	if err := c.WriteBinary([]byte("y")); err != errCorkFailed {
		t.Fatalf("second write: %v, want errCorkFailed", err)
	}
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

// A conn not declared to carry the websocket's own bytes refuses frames:
// under TLS they would be written in the clear into the record stream.
func TestWriteBinaryRefusedBelowTLS(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := NewCorkedConn(a).WriteBinary([]byte("x")); err != errNotFrames {
		t.Fatalf("WriteBinary on an undeclared conn: %v, want errNotFrames", err)
	}
}
