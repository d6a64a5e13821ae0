package fixrun

import "fmt"

// Kind says what an Error means for the command's exit status.
type Kind int

const (
	// Usage: the command line asks for what cannot be done (exit 2).
	Usage Kind = iota + 1
	// Problems: the account or instance is not as the fix needs it, or
	// the check a fix answers still fails (exit 1).
	Problems
	// Failed: ssmdoctor could not do its job (exit 3).
	Failed
	// Interrupted: a signal ended the run (exit 130).
	Interrupted
)

// Error is a fix run's failure in the user's words: the line to print
// and the next step.
type Error struct {
	Kind Kind
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func usage(hint, format string, a ...any) error {
	return &Error{Kind: Usage, Err: fmt.Errorf(format, a...), Hint: hint}
}

func failed(hint string, err error) error {
	return &Error{Kind: Failed, Err: err, Hint: hint}
}
