package dev.baton.api.admission;

import dev.baton.api.Completion;
import dev.baton.api.Submission;
import dev.baton.api.TokenEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Admission outcomes: whose move a refusal is (HTTP status), and how {@code orThrow} surfaces it. */
class AdmissionTest {

    private static final Set<RejectionReason> CLIENT_ERRORS = EnumSet.of(RejectionReason.INVALID_REQUEST,
            RejectionReason.PROMPT_TOO_LONG, RejectionReason.DUPLICATE_REQUEST_ID, RejectionReason.EXCEEDS_KV_CAPACITY,
            RejectionReason.TENANT_RATE_LIMITED, RejectionReason.TENANT_QUOTA);

    @Test
    void client_errors_map_to_their_4xx_status() {
        assertThat(RejectionReason.INVALID_REQUEST.httpStatus()).isEqualTo(400);
        assertThat(RejectionReason.PROMPT_TOO_LONG.httpStatus()).isEqualTo(400);
        assertThat(RejectionReason.DUPLICATE_REQUEST_ID.httpStatus()).isEqualTo(409);
        assertThat(RejectionReason.EXCEEDS_KV_CAPACITY.httpStatus()).isEqualTo(413);
        assertThat(RejectionReason.TENANT_RATE_LIMITED.httpStatus()).isEqualTo(429);
        assertThat(RejectionReason.TENANT_QUOTA.httpStatus()).isEqualTo(429);
    }

    @ParameterizedTest
    @EnumSource(RejectionReason.class)
    void every_reason_is_either_a_client_error_or_a_503_to_retry_elsewhere(RejectionReason reason) {
        if (CLIENT_ERRORS.contains(reason)) {
            assertThat(reason.httpStatus()).isBetween(400, 499);
            assertThat(reason.isClientError()).isTrue();
            assertThat(reason.isRetryableElsewhere()).isFalse();
        } else {
            assertThat(reason.httpStatus()).isEqualTo(503);
            assertThat(reason.isClientError()).isFalse();
            assertThat(reason.isRetryableElsewhere()).isTrue();
        }
    }

    @Test
    void capacity_refusals_are_503() {
        for (RejectionReason r : EnumSet.of(RejectionReason.QUEUE_FULL, RejectionReason.QUEUED_TOKENS_FULL,
                RejectionReason.DEADLINE_UNMEETABLE, RejectionReason.SHED_LOW_PRIORITY, RejectionReason.KV_PRESSURE,
                RejectionReason.SHUTTING_DOWN)) {
            assertThat(r.httpStatus()).as(r.name()).isEqualTo(503);
        }
    }

    @Test
    void rejected_or_throw_raises_the_typed_rejection_with_its_message() {
        Rejection rejection = new Rejection(RejectionReason.QUEUE_FULL, "waiting queue holds 512 requests",
                Duration.ofMillis(250));
        Admission a = new Admission.Rejected(rejection);
        assertThat(a.isAccepted()).isFalse();
        assertThat(((Admission.Rejected) a).reason()).isEqualTo(RejectionReason.QUEUE_FULL);
        assertThat(rejection.httpStatus()).isEqualTo(503);
        assertThatThrownBy(a::orThrow)
                .isExactlyInstanceOf(RequestRejectedException.class)
                .hasMessage("QUEUE_FULL: waiting queue holds 512 requests (retry after PT0.25S)")
                .satisfies(e -> assertThat(((RequestRejectedException) e).rejection()).isSameAs(rejection));
    }

    @Test
    void accepted_or_throw_returns_the_submission() {
        Submission s = new FixedSubmission("r-1");
        Admission a = new Admission.Accepted(s);
        assertThat(a.isAccepted()).isTrue();
        assertThat(a.orThrow()).isSameAs(s);
    }

    @Test
    void outcomes_and_rejections_refuse_missing_parts() {
        assertThatThrownBy(() -> new Admission.Accepted(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("submission");
        assertThatThrownBy(() -> new Admission.Rejected(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("rejection");
        assertThatThrownBy(() -> Rejection.of(null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("reason");
        assertThatThrownBy(() -> Rejection.of(RejectionReason.QUEUE_FULL, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("message");
    }

    @Test
    void a_rejection_must_explain_itself_and_cannot_ask_for_a_retry_in_the_past() {
        assertThatThrownBy(() -> Rejection.of(RejectionReason.TENANT_QUOTA, "  "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("say what to change")
                .hasMessageContaining("TENANT_QUOTA");
        assertThatThrownBy(() -> new Rejection(RejectionReason.TENANT_RATE_LIMITED, "slow down",
                Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryAfter").hasMessageContaining("PT-1S");
        assertThat(Rejection.of(RejectionReason.KV_PRESSURE, "kv 97% > 95%").retryAfter()).isNull();
        assertThat(Rejection.of(RejectionReason.KV_PRESSURE, "kv 97% > 95%").toString())
                .isEqualTo("KV_PRESSURE: kv 97% > 95%");
        assertThat(new Rejection(RejectionReason.QUEUE_FULL, "full", Duration.ZERO).retryAfter())
                .isEqualTo(Duration.ZERO);
    }

    private record FixedSubmission(String requestId) implements Submission {
        @Override
        public CompletableFuture<Completion> completion() {
            return new CompletableFuture<>();
        }

        @Override
        public Flow.Publisher<TokenEvent> tokens() {
            return subscriber -> { };
        }

        @Override
        public boolean cancel() {
            return false;
        }
    }
}
