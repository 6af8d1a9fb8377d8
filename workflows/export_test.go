package workflows

// AnonymousName exports anonymousName to the package's tests.
var AnonymousName = anonymousName
