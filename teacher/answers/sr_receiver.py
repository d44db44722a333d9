"""Model answer, exercise 4: the Selective Repeat receiver."""

from labchat.protocols.student import StudentEngine


class SelectiveRepeatReceiver(StudentEngine):
    def setup(self):
        self.base = 0  # the oldest number not yet delivered
        self.buffer = {}  # number -> text, received ahead of a gap

    def on_data(self, seq, text):
        offset = (seq - self.base) % self.modulus
        if offset < self.window:  # inside the window: buffer, deliver the front
            self.send_ack(seq)
            self.buffer.setdefault(seq, text)
            while self.base in self.buffer:
                self.deliver(self.buffer.pop(self.base))
                self.base = (self.base + 1) % self.modulus
        elif offset >= self.modulus - self.window:  # the window just behind: its ACK was lost
            self.send_ack(seq)
        # anything else is ignored
