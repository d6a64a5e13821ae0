package awssim

import (
	"io"
	"testing"
	"time"

	"github.com/ssmdoctor/ssmdoctor/tunnel"
)

// notifyWriter signals every write.
type notifyWriter struct{ c chan int }

func (w notifyWriter) Write(p []byte) (int, error) {
	w.c <- len(p)
	return len(p), nil
}

// BenchmarkDCShellKeystroke is one keystroke's round trip through a shell
// session: the byte goes to the simulator's pseudo-terminal, whose echo
// comes back as output. Agent-side pacing as the real agent's (1 ms per
// message) and unpaced.
func BenchmarkDCShellKeystroke(b *testing.B) {
	for _, paced := range []bool{false, true} {
		name := "unpaced"
		if paced {
			name = "paced"
		}
		b.Run(name, func(b *testing.B) {
			s := startShellSim(b, "/bin/sh", "")
			if paced {
				s.SetDataChannelOptions(DCOptions{PerMessageDelay: time.Millisecond})
			}
			out := notifyWriter{c: make(chan int, 1024)}
			pr, pw := io.Pipe()
			defer pw.Close()
			// cat writes nothing back: the terminal's echo is the answer.
			r := runShell(b, s, tunnel.DocumentInteractiveCommand, map[string][]string{"command": {"stty -icanon; echo ready; cat > /dev/null"}},
				tunnel.ShellIO{Stdin: pr, Stdout: out})
			for n := 0; n < len("ready\r\n"); {
				n += <-out.c
			}
			b.ResetTimer()
			for range b.N {
				pw.Write([]byte("x"))
				for got := 0; got < 1; {
					got += <-out.c
				}
			}
			b.StopTimer()
			_ = r // ended by runShell's cleanup (TerminateSession)
		})
	}
}
