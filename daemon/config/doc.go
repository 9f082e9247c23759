// Package config reads baylingd's configuration file
// (/etc/baylingd/baylingd.toml; configs/baylingd.toml in the source tree is
// the commented default).
//
// Every key has a default, so an empty file is a valid configuration. A key
// the daemon does not know, a value of the wrong type and a value out of
// range are all errors that name the key and the line it is on: a typo in a
// configuration file must stop the daemon at start (systemd shows the
// message and the exit status 2), not be ignored until the setting is
// needed.
//
// Parse is pure (it reads nothing but the bytes it is given, so it can be
// fuzzed); Load reads the file and the secrets it points to (the MQTT
// password_file).
package config
