package chatworker.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {

  private static final String GOOD = """
      # HELP jobs_total Jobs by outcome, "quoted" and a back\\\\slash
      # TYPE jobs_total counter
      jobs_total{code="none",outcome="succeeded"} 5.0
      jobs_total{code="NOT_FOUND",outcome="failed"} 3.0 1700000000000
      # TYPE latency_seconds histogram
      latency_seconds_bucket{le="0.005"} 1.0
      latency_seconds_bucket{le="+Inf"} 2.0
      latency_seconds_count 2.0
      latency_seconds_sum 1.5E-2
      # TYPE ping_seconds gauge
      ping_seconds{note="a \\"b\\" \\\\ c\\nd"} NaN
      """;

  /** Verifies that a well-formed scrape parses, with its types, samples, labels and values. */
  @Test
  @DisplayName("A well-formed scrape parses into types and samples")
  void wellFormedScrapeParses() {
    PrometheusText text = PrometheusText.parse(GOOD);
    assertThat(text.types()).containsEntry("jobs_total", "counter")
        .containsEntry("latency_seconds", "histogram");
    assertThat(text.value("jobs_total", "outcome", "failed")).isEqualTo(3);
    assertThat(text.value("latency_seconds_bucket", "le", "+Inf")).isEqualTo(2);
    assertThat(text.value("latency_seconds_sum")).isEqualTo(0.015);
    assertThat(text.value("ping_seconds")).isNaN();
  }

  /** Verifies that each kind of malformed line is rejected, naming its line. */
  @Test
  @DisplayName("Malformed lines are rejected with their line number")
  void malformedLinesAreRejected() {
    String type = "# TYPE x gauge\n";
    for (String bad : new String[] {
        type + "x 1 2 3\n",                      // trailing garbage
        type + "x{a=\"1\"}\n",                    // no value
        type + "x{a=1} 1\n",                      // unquoted label value
        type + "x{a=\"1\" b=\"2\"} 1\n",          // no comma between labels
        type + "x{a=\"1\",a=\"2\"} 1\n",          // label twice
        type + "x{a=\"\\q\"} 1\n",                // bad escape
        type + "x one\n",                         // not a number
        type + "x 1\nx 2\n",                      // duplicate sample
        "y 1\n",                                  // no TYPE before the sample
        type + "# TYPE x counter\n",              // second TYPE
        type + "# TYPE z kind\n",                 // unknown type
        type + "x 1\n# TYPE x gauge\n",           // TYPE after samples
        "# HELP\n",                               // HELP without a name
        type + "x 1"}) {                          // no final newline
      assertThatThrownBy(() -> PrometheusText.parse(bad)).describedAs(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> PrometheusText.parse(type + "x 1\nx{ 2\n")).hasMessageStartingWith("line 3:");
  }
}
