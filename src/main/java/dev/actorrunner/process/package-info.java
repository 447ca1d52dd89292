/**
 * Starting worker processes and everything the OS does to them: private ports, output lines,
 * signals, and making sure no worker or grandchild outlives the runner. Imports no actor types.
 * Internal: not part of the public API (see {@code dev.actorrunner}).
 */
package dev.actorrunner.process;
