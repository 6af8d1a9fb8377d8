package workflows

// AnonymousName exports anonymousName to the package's tests.
var AnonymousName = anonymousName

// SetBeforeHead sets the hook a refused command runs before it asks the stream's head.
func SetBeforeHead(s *Service, f func()) { s.beforeHead = f }
