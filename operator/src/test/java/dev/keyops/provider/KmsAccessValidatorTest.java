package dev.keyops.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import dev.keyops.kms.gcp.GcpKmsGateway;
import dev.keyops.kms.gcp.KmsException;
import dev.keyops.kms.gcp.KmsGateway;
import dev.keyops.status.Reason;
import dev.keyops.testing.FakeKms;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real KeyManagementServiceClient against a fake Cloud KMS gRPC server. */
class KmsAccessValidatorTest {

  static final String NAME =
      "projects/demo-project/locations/europe-west1/keyRings/keyops/cryptoKeys/orders";
  static final byte[] AAD = "keyops/v1/default/orders/k1".getBytes();

  FakeKms fake;
  KmsGateway kms;

  @BeforeEach
  void start() throws Exception {
    fake = new FakeKms();
    fake.create(NAME);
    kms = GcpKmsGateway.create(fake.endpoint(), null, Duration.ofSeconds(2));
  }

  @AfterEach
  void stop() throws Exception {
    kms.close();
    fake.close();
  }

  @Test
  void aHealthyKeyPassesEveryCheckAndRoundTrips() {
    KmsAccessValidator.checkKey(kms, NAME);
    KmsAccessValidator.checkPermissions(kms, NAME);
    byte[] dek = new byte[32];
    dek[0] = 7;
    KmsGateway.Wrapped w = KmsAccessValidator.roundTrip(kms, NAME, dek, AAD);
    assertEquals(NAME + "/cryptoKeyVersions/1", w.keyVersion());
    assertArrayEquals(dek, KmsAccessValidator.unwrap(kms, NAME, w.ciphertext(), AAD));
  }

  @Test
  void theAssociatedDataBindsTheWrappedKey() {
    KmsGateway.Wrapped w = KmsAccessValidator.roundTrip(kms, NAME, new byte[32], AAD);
    assertThrows(
        ProviderException.class,
        () ->
            KmsAccessValidator.unwrap(
                kms, NAME, w.ciphertext(), "keyops/v1/other/orders/k1".getBytes()));
  }

  @Test
  void aMissingViewerRoleIsNamed() {
    fake.revoke(NAME, KmsAccessValidator.GET);
    ProviderException e =
        assertThrows(ProviderException.class, () -> KmsAccessValidator.checkKey(kms, NAME));
    assertEquals(Reason.PermissionDenied, e.reason());
    assertTrue(e.getMessage().contains("roles/cloudkms.viewer"), e.getMessage());
    assertFalse(e.getMessage().contains("cryptoKeyEncrypterDecrypter"), e.getMessage());
    assertEquals(
        List.of(KmsAccessValidator.GET),
        assertInstanceOf(KmsAccessValidator.MissingPermissions.class, e).missing());
  }

  @Test
  void aMissingEncrypterDecrypterRoleIsNamed() {
    fake.revoke(NAME, KmsAccessValidator.USE_TO_DECRYPT);
    ProviderException e =
        assertThrows(ProviderException.class, () -> KmsAccessValidator.checkPermissions(kms, NAME));
    assertEquals(Reason.PermissionDenied, e.reason());
    assertTrue(
        e.getMessage().contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"), e.getMessage());
    assertTrue(e.getMessage().contains(KmsAccessValidator.USE_TO_DECRYPT), e.getMessage());
  }

  @Test
  void disabledAndDestroyedVersionsAreReportedByName() {
    for (var state :
        List.of(
            CryptoKeyVersion.CryptoKeyVersionState.DISABLED,
            CryptoKeyVersion.CryptoKeyVersionState.DESTROY_SCHEDULED,
            CryptoKeyVersion.CryptoKeyVersionState.DESTROYED)) {
      fake.setState(NAME, state);
      ProviderException e =
          assertThrows(ProviderException.class, () -> KmsAccessValidator.checkKey(kms, NAME));
      assertEquals(Reason.KeyDisabled, e.reason());
      assertTrue(e.getMessage().contains(state.name()), e.getMessage());
    }
  }

  @Test
  void keyVersionsBehaveAsCloudKmsDocumentsThem() {
    KmsGateway.Wrapped v1 = kms.encrypt(NAME, new byte[32], AAD);
    assertEquals(FakeKms.versionName(NAME, 1), v1.keyVersion());
    String v2 = fake.rotate(NAME);
    assertEquals(FakeKms.versionName(NAME, 2), v2);
    assertEquals(v2, kms.getCryptoKey(NAME).primaryVersion());
    KmsGateway.Wrapped w2 = kms.encrypt(NAME, new byte[32], AAD);
    assertEquals(v2, w2.keyVersion(), "Encrypt uses the primary and names it");
    assertArrayEquals(new byte[32], kms.decrypt(NAME, v1.ciphertext(), AAD), "old ciphertext");
    assertEquals(
        KmsGateway.VersionState.ENABLED,
        kms.getCryptoKeyVersion(v1.keyVersion()).state(),
        "a rotation leaves the old version enabled");

    fake.setVersionState(NAME, 1, CryptoKeyVersion.CryptoKeyVersionState.DISABLED);
    KmsException e =
        assertThrows(KmsException.class, () -> kms.decrypt(NAME, v1.ciphertext(), AAD));
    assertEquals(KmsException.Kind.FAILED_PRECONDITION, e.kind());
    assertArrayEquals(new byte[32], kms.decrypt(NAME, w2.ciphertext(), AAD));

    java.time.Instant destroy = java.time.Instant.parse("2026-12-01T00:00:00Z");
    fake.scheduleDestroy(NAME, 1, destroy);
    KmsGateway.VersionInfo info = kms.getCryptoKeyVersion(v1.keyVersion());
    assertEquals(KmsGateway.VersionState.DESTROY_SCHEDULED, info.state());
    assertEquals(destroy, info.destroyTime());
    fake.setVersionState(NAME, 1, CryptoKeyVersion.CryptoKeyVersionState.DESTROYED);
    assertEquals(
        KmsException.Kind.FAILED_PRECONDITION,
        assertThrows(KmsException.class, () -> kms.decrypt(NAME, v1.ciphertext(), AAD)).kind());
    assertEquals(
        KmsException.Kind.NOT_FOUND,
        assertThrows(
                KmsException.class, () -> kms.getCryptoKeyVersion(NAME + "/cryptoKeyVersions/9"))
            .kind());
  }

  @Test
  void aKeyForAnotherPurposeIsRefused() {
    fake.setPurpose(NAME, CryptoKey.CryptoKeyPurpose.ASYMMETRIC_SIGN);
    ProviderException e =
        assertThrows(ProviderException.class, () -> KmsAccessValidator.checkKey(kms, NAME));
    assertEquals(Reason.WrongKeyPurpose, e.reason());
  }

  @Test
  void anUnknownKeyIsKeyNotFound() {
    ProviderException e =
        assertThrows(
            ProviderException.class,
            () ->
                KmsAccessValidator.checkKey(
                    kms, "projects/demo-project/locations/global/keyRings/r/cryptoKeys/nope"));
    assertEquals(Reason.KeyNotFound, e.reason());
  }

  @Test
  void anOutageIsTransientAndAccessComesBack() {
    fake.setUnavailable(true);
    ProviderException e =
        assertThrows(ProviderException.class, () -> KmsAccessValidator.checkKey(kms, NAME));
    assertEquals(Reason.KmsUnavailable, e.reason());
    assertTrue(e.transientFailure());
    fake.setUnavailable(false);
    KmsAccessValidator.checkKey(kms, NAME);
  }

  @Test
  void malformedNamesAreInvalidKeyName() {
    ProviderException e =
        assertThrows(
            ProviderException.class, () -> KmsAccessValidator.parseName("projects/x/keyRings/y"));
    assertEquals(Reason.InvalidKeyName, e.reason());
    assertTrue(e.getMessage().contains(GcpKeyName.FORMAT));
  }
}
