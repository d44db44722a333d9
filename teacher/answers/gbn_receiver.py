"""Model answer, exercise 3: the Go-Back-N receiver."""

from labchat.protocols.student import StudentEngine


class GoBackNReceiver(StudentEngine):
    def setup(self):
        self.expected = 0  # the number of the next message to deliver

    def on_data(self, seq, text):
        if seq == self.expected:
            self.deliver(text)
            self.expected = (self.expected + 1) % self.modulus
        # Anything else is a duplicate or beyond a gap: discard it. Either way,
        # acknowledge the last message received in order.
        self.send_ack((self.expected - 1) % self.modulus)
