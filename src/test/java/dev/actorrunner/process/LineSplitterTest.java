package dev.actorrunner.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private final List<String> lines = new ArrayList<>();

    private void feedInChunks(LineSplitter splitter, String text, int chunk) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i += chunk) {
            splitter.feed(bytes, i, Math.min(chunk, bytes.length - i));
        }
        splitter.finish();
    }

    @Test
    void splitsAcrossChunksAndKeepsTheUnterminatedLastLine() {
        feedInChunks(new LineSplitter(100, lines::add), "one\ntwo\r\n\nthree", 3);
        assertEquals(List.of("one", "two", "", "three"), lines);
    }

    @Test
    void noTrailingEmptyLineAfterAFinalNewline() {
        feedInChunks(new LineSplitter(100, lines::add), "a\nb\n", 1);
        assertEquals(List.of("a", "b"), lines);
    }

    @Test
    void longLineIsTruncatedWithAMarkerAndTheNextLineIsIntact() {
        feedInChunks(new LineSplitter(8, lines::add), "0123456789abcdef\nnext", 5);
        assertEquals(List.of("01234567" + LineSplitter.TRUNCATED, "next"), lines);
    }

    @Test
    void lineOfExactlyTheLimitIsNotTruncated() {
        feedInChunks(new LineSplitter(4, lines::add), "abcd\nabcde", 64);
        assertEquals(List.of("abcd", "abcd" + LineSplitter.TRUNCATED), lines);
    }

    @Test
    void truncationNeverSplitsAMultiByteCharacter() {
        // "aé€" is 1 + 2 + 3 bytes; a limit of 5 cuts the euro sign after two of its bytes.
        feedInChunks(new LineSplitter(5, lines::add), "aé€x\n", 64);
        assertEquals(List.of("aé" + LineSplitter.TRUNCATED), lines);
    }

    @Test
    void malformedUtf8IsReplacedNotFatal() {
        LineSplitter splitter = new LineSplitter(100, lines::add);
        byte[] bytes = {'o', 'k', (byte) 0xFF, '\n'};
        splitter.feed(bytes, 0, bytes.length);
        assertEquals(List.of("ok\uFFFD"), lines);
    }
}
