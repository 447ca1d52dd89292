/**
 * Starting worker processes and everything the OS does to them: private ports, output lines,
 * signals, and making sure no worker or grandchild outlives the runner. Imports no actor types.
 */
package dev.actorrunner.process;
