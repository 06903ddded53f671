use super::programs::has_option;
use super::*;
use crate::context::BuildContext;
use crate::knowledge::KnowledgeBase;
use crate::model::Dockerfile;
use crate::syntax::parse;

/// The reason `check` gives for the final stage of `text` (a `php:8.3-cli` stage with
/// `WORKDIR /app` before `runs`), if any.
fn decline(runs: &str) -> Option<Decline> {
    let text = format!("FROM php:8.3-cli\nARG TOOLS=/opt/tools\nWORKDIR /app\n{runs}\nCMD [\"php\", \"index.php\"]\n");
    let parsed = parse(&text);
    let file = Dockerfile::new(&parsed);
    let knowledge = KnowledgeBase::builtin();
    let context = BuildContext::without_files();
    let profile = knowledge.profile("composer").expect("the Composer profile");
    let facts = Facts::of_final_stage(&file, profile, &context);
    let same = facts
        .layout
        .same_image
        .as_ref()
        .expect("a same-image layout");
    check(&facts, same, "/app").err()
}

#[test]
fn accounts_for_changes_in_received_and_scratch_folders() {
    for runs in [
        "RUN echo 'opcache.enable=1' >> /usr/local/etc/php/conf.d/opcache.ini",
        "RUN docker-php-ext-install -j$(nproc) pdo_mysql && pecl install redis && docker-php-ext-enable redis && rm -rf /tmp/pear",
        "RUN apt-get update && apt-get install -y libpq-dev && rm -rf /var/lib/apt/lists/*",
        "RUN cd /tmp && curl -fsSLO https://example.org/x.tar.gz",
        "RUN curl -fsSLo /usr/local/bin/composer https://getcomposer.org/composer.phar && chmod +x /usr/local/bin/composer",
        "RUN curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer",
        "RUN php -r \"copy('https://getcomposer.org/installer', 'composer-setup.php');\" && php composer-setup.php && mv composer.phar /usr/local/bin/composer",
        "RUN composer install --no-dev && php artisan optimize && bin/console cache:clear",
        "RUN composer --working-dir=/app/tools install",
        "RUN cp --target-directory=/app/config defaults.ini && mv -t /tmp a.txt",
        "RUN sed 's/a/b/' /etc/hosts > hosts.txt",
        "RUN (cd /etc && cat hostname) && mkdir -p storage/logs && chmod -R 777 storage",
        "RUN mv \"$PHP_INI_DIR/php.ini-production\" \"$PHP_INI_DIR/php.ini\"",
        "RUN php -v && php -m | grep -i opcache && php --ri swoole",
        "RUN chown -R www-data:www-data /app/cache /app/var",
        "RUN <<EOF\nset -eux\nmkdir -p /app/var\nEOF",
    ] {
        assert_eq!(decline(runs), None, "{runs}");
    }
}

#[test]
fn declines_changes_the_runtime_stage_would_lack() {
    let kind = |runs: &str| decline(runs).map(|reason| reason.kind());
    for (runs, expected) in [
        ("RUN a2enmod rewrite", "system-command"),
        (
            "RUN git clone https://example.org/x.git /opt/x",
            "system-command",
        ),
        (
            "RUN sed -i 's/80/8080/' /etc/apache2/ports.conf",
            "system-write",
        ),
        (
            "RUN sed -ri 's/80/8080/' /etc/apache2/ports.conf",
            "system-write",
        ),
        (
            "RUN echo 'ServerName x' >> /etc/apache2/apache2.conf",
            "system-write",
        ),
        (
            "RUN cd /opt && wget https://example.org/tool",
            "system-write",
        ),
        ("RUN mkdir -p $TOOLS/bin", "system-write"),
        ("RUN mkdir -p $UNKNOWN/bin", "run-path-unknown"),
        (
            "RUN if true; then cd /srv; fi && touch ready",
            "run-path-unknown",
        ),
        (
            "RUN rm /usr/local/etc/php/conf.d/docker-php-ext-sodium.ini",
            "image-file-removed",
        ),
        ("RUN apt-get update && apt-get upgrade -y", "system-upgrade"),
        (
            "RUN composer global require phpunit/phpunit",
            "system-command",
        ),
        (
            "RUN cd /srv && composer install",
            "tool-outside-application",
        ),
        ("RUN chmod 755 /app", "app-folder-metadata"),
        ("RUN chown www-data /app", "app-folder-metadata"),
        ("RUN install-php-extensions intl", "extension-libraries"),
        ("RUN php /tmp/setup.php", "system-command"),
        (
            "RUN curl -sS https://example.org/setup | php -",
            "system-command",
        ),
        (
            "RUN vendor/bin/rr get-binary --location /usr/local/bin",
            "system-write",
        ),
        (
            "RUN ln -s /app/bin/tool /usr/local/bin/tool",
            "system-write",
        ),
        ("RUN bash <<EOF\nmkdir -p /etc/app\nEOF", "system-write"),
        ("RUN [\"a2enmod\", \"rewrite\"]", "run-unreadable"),
    ] {
        assert_eq!(kind(runs), Some(expected), "{runs}");
    }
}

#[test]
fn reads_options_in_clusters_and_owners() {
    let options = |list: &[&str]| list.iter().map(|o| (*o).to_owned()).collect::<Vec<_>>();
    assert!(has_option(&options(&["-i", "--in-place"]), "-ri"));
    assert!(has_option(&options(&["-i", "--in-place"]), "-i.bak"));
    assert!(has_option(
        &options(&["-i", "--in-place"]),
        "--in-place=.orig"
    ));
    assert!(!has_option(&options(&["-i", "--in-place"]), "-e"));
    assert!(!has_option(
        &options(&["-i", "--in-place"]),
        "--regexp-extended"
    ));
    assert!(same_owner(
        "chown",
        "www-data:www-data",
        "www-data:www-data"
    ));
    assert!(same_owner("chown", "www-data", "www-data:www-data"));
    assert!(same_owner("chgrp", "www-data", "www-data:www-data"));
    assert!(!same_owner("chown", "www-data:root", "www-data:www-data"));
    assert!(!same_owner("chown", "1000", "www-data:www-data"));
}
