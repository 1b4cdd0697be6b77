package chatworker.api;

import java.util.Set;

/** {@code chat.jobs.get} and {@code chat.generate.cancel}: {@code {jobId}}. */
public record JobRequest(String jobId) {

  public static JobRequest parse(Object body) {
    return new JobRequest(BodyReader.of(body, Set.of("jobId")).requiredId("jobId"));
  }
}
