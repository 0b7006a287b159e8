# keyops operator and rekey worker image. Build the jar first: mvn -B -DskipTests package
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 65532 keyops && useradd --system --uid 65532 --gid keyops keyops
COPY operator/target/keyops.jar /opt/keyops/keyops.jar
USER 65532:65532
ENTRYPOINT ["java", "-jar", "/opt/keyops/keyops.jar"]
CMD ["operator"]
