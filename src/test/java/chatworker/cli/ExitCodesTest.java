package chatworker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import chatworker.api.ErrorCode;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ExitCodesTest {

  /**
   * Verifies that every contract code has an exit code of its own, none of them one of the command's
   * other codes (UNAUTHORIZED, added last, would have been NO_ANSWER's 20), and the documented ones hold.
   */
  @Test
  @DisplayName("each error code exits with its own number, never 0, 2, 20 or 21")
  void everyCodeHasItsOwnExitCode() {
    List<Integer> codes = Arrays.stream(ErrorCode.values()).map(ExitCodes::of).toList();

    assertThat(codes).doesNotHaveDuplicates()
        .doesNotContain(ExitCodes.OK, ExitCodes.USAGE, ExitCodes.NO_ANSWER, ExitCodes.SETUP);
    assertThat(ExitCodes.of(ErrorCode.INVALID_REQUEST)).isEqualTo(10);
    assertThat(ExitCodes.of(ErrorCode.INTERNAL)).isEqualTo(19);
    assertThat(ExitCodes.of(ErrorCode.UNAUTHORIZED)).isEqualTo(22);
  }
}
