package rankexport

// Inert is inert, for the black-box tests.
var Inert = inert
