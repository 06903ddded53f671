package internal

// Version of the task service.
const Version = "0.9.0"
