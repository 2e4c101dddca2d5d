/* Test support for unit tests too (no bookd needed): ports on the loopback interface. */
#ifndef TEST_PORTS_H
#define TEST_PORTS_H

/*
 * A port on 127.0.0.1 that nothing listens on: bound by the kernel's choice,
 * then closed, so a connection to it is refused (the kernel hands out
 * ephemeral ports in turn, so it is not reused within a test).
 */
int test_closed_port(void);

#endif
