// Manage the settings of Qboxmail mail domains as code.
package qboxmail
