# java-maven, rewritten wrongly: only the POM is copied, so the build has no sources.
FROM maven:3.9-eclipse-temurin-17
WORKDIR /build
COPY pom.xml .
RUN mvn -B package -DskipTests
ENV JAVA_OPTS="-Xmx256m"
EXPOSE 8080
CMD ["java", "-jar", "target/orders-1.4.0.jar"]
