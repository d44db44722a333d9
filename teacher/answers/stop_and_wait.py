"""Model answer, exercise 1: stop-and-wait (rdt 3.0), sender and receiver."""

from labchat.protocols.student import StudentEngine


class StopAndWait(StudentEngine):
    seq_bits = 1  # the alternating bit, as labchat's reference stop-and-wait

    def setup(self):
        self.waiting = []  # offered by the user, not sent yet
        self.sending = None  # the message waiting for its ACK
        self.send_seq = 0  # its number
        self.tries = 0  # how many times it went out
        self.expected = 0  # receiver: the number it waits for

    # -- sender --
    def on_message(self, text):
        self.waiting.append(text)
        self.send_next()

    def send_next(self):
        if self.sending is None and self.waiting:
            self.sending = self.waiting.pop(0)
            self.tries = 1
            self.send_data(self.send_seq, self.sending)
            self.start_timer()

    def on_ack(self, ack):
        if self.sending is not None and ack == self.send_seq:
            self.stop_timer()
            self.finish()

    def on_timeout(self, timer):
        if self.tries > self.max_retries:
            self.give_up(self.send_seq, self.sending)
            self.finish()
            return
        self.tries += 1
        self.send_data(self.send_seq, self.sending)
        self.start_timer()

    def finish(self):
        self.sending = None
        self.send_seq = (self.send_seq + 1) % self.modulus
        self.send_next()

    # -- receiver --
    def on_data(self, seq, text):
        if seq == self.expected:
            self.deliver(text)
            self.expected = (self.expected + 1) % self.modulus
        self.send_ack((self.expected - 1) % self.modulus)  # a duplicate is ACKed again
